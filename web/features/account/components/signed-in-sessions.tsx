import { useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { QueryError } from '../../../components/ui/query-error.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { leaveTo } from '../../../lib/navigation.ts';
import { useEndOtherSessions, useEndSession, useSessions, type DeviceSession } from '../api/sessions.ts';
import { SessionList } from './session-list.tsx';

type Asked = { kind: 'one'; session: DeviceSession } | { kind: 'others' };

/** The account screen's "Where you're signed in": sign out one browser, or every other one. */
export function SignedInSessions() {
  const sessions = useSessions();
  const endOne = useEndSession();
  const endOthers = useEndOtherSessions();
  const [asked, setAsked] = useState<Asked | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const running = asked?.kind === 'others' ? endOthers : endOne;

  function confirm() {
    if (!asked) return;
    if (asked.kind === 'others') {
      endOthers.mutate(undefined, {
        onSuccess: (r) => {
          setAsked(null);
          setDone(r.ended === 1 ? 'Signed out of 1 other session.' : `Signed out of ${r.ended} other sessions.`);
        },
      });
      return;
    }
    endOne.mutate(asked.session.handle, {
      onSuccess: (r) => {
        setAsked(null);
        if (r.signedOut) leaveTo('/');
        else setDone(`Signed out ${asked.session.browser} on ${asked.session.os}.`);
      },
    });
  }

  const list = sessions.data?.sessions ?? [];
  return (
    <section className="card card--wide" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you're signed in</h2>
      {done ? <SuccessNotice title={done} onDismiss={() => setDone(null)} /> : null}
      {sessions.isPending ? <Spinner /> : null}
      {sessions.isError ? <QueryError error={sessions.error} onRetry={() => void sessions.refetch()} /> : null}
      {sessions.isSuccess ? (
        <>
          <SessionList
            sessions={list}
            busy={running.isPending}
            emptyText="You are not signed in anywhere else."
            onEnd={(s) => setAsked({ kind: 'one', session: s })}
          />
          {list.some((s) => !s.current) ? (
            <div className="actions">
              <Button variant="danger" onClick={() => setAsked({ kind: 'others' })} disabled={running.isPending}>
                Sign out of all other sessions
              </Button>
            </div>
          ) : null}
        </>
      ) : null}
      {running.error && !asked ? <Alert tone="error">{running.error.message}</Alert> : null}
      <ConfirmDialog
        open={asked !== null}
        title={asked?.kind === 'others' ? 'Sign out of all other sessions?' : asked?.session.current ? 'Sign out of this device?' : 'Sign out this session?'}
        confirmLabel={asked?.kind === 'others' ? 'Sign out of others' : 'Sign out'}
        pending={running.isPending}
        error={running.error?.message ?? null}
        onConfirm={confirm}
        onCancel={() => {
          setAsked(null);
          endOne.reset();
          endOthers.reset();
        }}
      >
        <p>
          {asked?.kind === 'others'
            ? 'Every other browser signed in to your account must sign in again. This one stays signed in.'
            : 'That browser must sign in again, and apps it signed in to through the portal there stop working.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}
