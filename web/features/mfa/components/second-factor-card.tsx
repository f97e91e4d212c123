import { useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { QueryError } from '../../../components/ui/query-error.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { useConfirmTotp, useMfaStatus, useRegenerateCodes, useRemoveTotp, useStartTotpSetup } from '../api/mfa.ts';
import { RecoveryCodes } from './recovery-codes.tsx';
import { TotpSetup } from './totp-setup.tsx';

/** The account screen's two-step verification: an authenticator app and its recovery codes. */
export function SecondFactorCard() {
  const status = useMfaStatus();
  const remove = useRemoveTotp();
  const regenerate = useRegenerateCodes();
  const start = useStartTotpSetup();
  const confirmTotp = useConfirmTotp();
  const [settingUp, setSettingUp] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [confirm, setConfirm] = useState<'remove' | 'regenerate' | null>(null);

  let body;
  if (status.isPending) body = <Spinner />;
  else if (status.isError) body = <QueryError error={status.error} onRetry={() => void status.refetch()} />;
  else if (codes) body = <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />;
  else if (settingUp)
    body = (
      <TotpSetup
        start={start}
        confirm={confirmTotp}
        onSaved={(shown) => {
          setSettingUp(false);
          setCodes(shown);
        }}
        onCancel={() => setSettingUp(false)}
      />
    );
  else {
    const s = status.data;
    body = (
      <>
        {s.setupRequired ? (
          <Alert tone="warning" title="Two-step verification is required">
            <p>This portal requires it for your account. Set up an authenticator app or add a passkey to continue to the rest of the portal.</p>
          </Alert>
        ) : null}
        {remove.isSuccess ? <Alert tone="success">The authenticator app was removed.</Alert> : null}
        {s.totp.enabled ? (
          <>
            <p>Authenticator app: on. Recovery codes left: {s.recoveryCodes.remaining} of 10.</p>
            <div className="actions">
              <Button type="button" variant="secondary" onClick={() => setConfirm('regenerate')}>
                Make new recovery codes
              </Button>
              <Button type="button" variant="secondary" onClick={() => setSettingUp(true)}>
                Replace the authenticator app
              </Button>
              <Button type="button" variant="danger" onClick={() => setConfirm('remove')}>
                Remove the authenticator app
              </Button>
            </div>
          </>
        ) : (
          <>
            <p>Sign in with your password and a code from an app on your phone, so a stolen password is not enough.</p>
            <div className="actions">
              <Button type="button" onClick={() => setSettingUp(true)}>
                Set up an authenticator app
              </Button>
            </div>
          </>
        )}
      </>
    );
  }

  return (
    <section className="card card--wide stack" aria-labelledby="two-step-title" id="two-step-verification">
      <h2 id="two-step-title">Two-step verification</h2>
      {body}
      <ConfirmDialog
        open={confirm === 'remove'}
        title="Remove the authenticator app?"
        confirmLabel="Remove"
        pending={remove.isPending}
        error={remove.error?.message ?? null}
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => setConfirm(null) })}
        onCancel={() => {
          remove.reset();
          setConfirm(null);
        }}
      >
        <p>Signing in will need only your password. Your recovery codes stop working too.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'regenerate'}
        title="Make new recovery codes?"
        confirmLabel="Make new codes"
        tone="primary"
        pending={regenerate.isPending}
        error={regenerate.error?.message ?? null}
        onConfirm={() =>
          regenerate.mutate(undefined, {
            onSuccess: (r) => {
              setConfirm(null);
              setCodes(r.newRecoveryCodes);
            },
          })
        }
        onCancel={() => {
          regenerate.reset();
          setConfirm(null);
        }}
      >
        <p>Your current recovery codes stop working at once.</p>
      </ConfirmDialog>
    </section>
  );
}
