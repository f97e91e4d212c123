import { useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { formatDate, formatDateTime, isoOf } from '../../../lib/time.ts';
import { SessionList } from '../../account/components/session-list.tsx';
import { useEndUserSession, useRevokeUserApp, useSignOutEverywhere, useUnlinkIdentity } from '../api/user-actions.ts';
import type { UserDetails } from '../api/users.ts';

type Asked =
  | { kind: 'session'; handle: string; label: string }
  | { kind: 'everywhere' }
  | { kind: 'app'; clientId: string; label: string }
  | { kind: 'identity'; connectionId: string; subject: string; label: string };

/** Where the user is signed in, the partner apps they allowed, and the upstream identities linked to them. */
export function UserAccess({ details }: { details: UserDetails }) {
  const { user, sessions, apps, identities } = details;
  const endOne = useEndUserSession(user.id);
  const everywhere = useSignOutEverywhere(user.id);
  const revoke = useRevokeUserApp(user.id);
  const unlink = useUnlinkIdentity(user.id);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const running = asked?.kind === 'app' ? revoke : asked?.kind === 'everywhere' ? everywhere : asked?.kind === 'identity' ? unlink : endOne;

  function confirm() {
    if (!asked) return;
    const finish = (message: string) => () => {
      setAsked(null);
      setDone(message);
    };
    if (asked.kind === 'session') endOne.mutate(asked.handle, { onSuccess: finish(`Signed out ${asked.label}.`) });
    else if (asked.kind === 'everywhere') everywhere.mutate(undefined, { onSuccess: finish(`${user.email} is signed out everywhere.`) });
    else if (asked.kind === 'identity')
      unlink.mutate({ connectionId: asked.connectionId, subject: asked.subject }, { onSuccess: finish(`${asked.label} is no longer linked.`) });
    else revoke.mutate(asked.clientId, { onSuccess: finish(`${asked.label} no longer has access.`) });
  }

  const title =
    asked?.kind === 'everywhere'
      ? `Sign ${user.email} out everywhere?`
      : asked?.kind === 'app'
        ? `Revoke access for ${asked.label}?`
        : asked?.kind === 'identity'
          ? `Unlink ${asked.label}?`
          : `Sign out ${asked?.label ?? ''}?`;
  const confirmLabel = asked?.kind === 'app' ? 'Revoke access' : asked?.kind === 'identity' ? 'Unlink' : 'Sign out';
  const explanation =
    asked?.kind === 'app'
      ? 'Its tokens stop working at once; the person is asked again if they use it.'
      : asked?.kind === 'identity'
        ? `They can no longer sign in through it.${user.hasPassword ? '' : ' They have no password: send them a password reset link, or they cannot get in.'}`
        : 'They must sign in again there; apps signed in through the portal in that browser stop working.';
  return (
    <>
      {done ? <SuccessNotice title={done} onDismiss={() => setDone(null)} /> : null}
      <section className="card card--wide" aria-labelledby="user-sessions-title">
        <h2 id="user-sessions-title">Signed-in sessions</h2>
        <SessionList
          sessions={sessions}
          busy={running.isPending}
          emptyText="Not signed in anywhere."
          onEnd={(s) => setAsked({ kind: 'session', handle: s.handle, label: `${s.browser} on ${s.os}` })}
        />
        {sessions.length > 0 ? (
          <div className="actions">
            <Button variant="danger" onClick={() => setAsked({ kind: 'everywhere' })}>
              Sign out everywhere
            </Button>
          </div>
        ) : null}
      </section>
      <section className="card card--wide" aria-labelledby="user-apps-title">
        <h2 id="user-apps-title">Connected apps</h2>
        {apps.length === 0 ? (
          <p className="muted">No partner app has access.</p>
        ) : (
          <ul className="app-list">
            {apps.map((a) => (
              <li className="app-list__item" key={a.clientId}>
                <div className="app-list__head">
                  <div className="app-list__title">
                    <h3>{a.name}</h3>
                    <p className="muted small">
                      Allowed on <time dateTime={isoOf(a.grantedAt)}>{formatDate(a.grantedAt)}</time>: {a.scopes.map((s) => s.description).join(', ')}
                    </p>
                  </div>
                  <Button
                    variant="danger"
                    aria-label={`Revoke access for ${a.name}`}
                    onClick={() => setAsked({ kind: 'app', clientId: a.clientId, label: a.name })}
                  >
                    Revoke access
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card card--wide" aria-labelledby="user-identities-title">
        <h2 id="user-identities-title">Linked identity providers</h2>
        {identities.length === 0 ? (
          <p className="muted">No identity provider is linked.</p>
        ) : (
          <ul className="plain-list">
            {identities.map((i) => (
              <li key={`${i.connectionId}/${i.subject}`}>
                {i.connection}
                {i.email ? ` as ${i.email}` : ''} ·{' '}
                {i.linkedAt ? (
                  <>
                    last used <time dateTime={isoOf(i.lastUsedAt)}>{formatDateTime(i.lastUsedAt)}</time>
                  </>
                ) : (
                  'waiting for their password'
                )}{' '}
                <Button
                  variant="secondary"
                  aria-label={`Unlink ${i.connection}${i.email ? ` (${i.email})` : ''}`}
                  onClick={() =>
                    setAsked({ kind: 'identity', connectionId: i.connectionId, subject: i.subject, label: `${i.connection}${i.email ? ` (${i.email})` : ''}` })
                  }
                >
                  Unlink
                </Button>
              </li>
            ))}
          </ul>
        )}
      </section>
      {running.error && !asked ? <Alert tone="error">{running.error.message}</Alert> : null}
      <ConfirmDialog
        open={asked !== null}
        title={title}
        confirmLabel={confirmLabel}
        pending={running.isPending}
        error={running.error?.message ?? null}
        onConfirm={confirm}
        onCancel={() => setAsked(null)}
      >
        <p>{explanation}</p>
      </ConfirmDialog>
    </>
  );
}
