import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { type ApiError, hasCode } from '../../../lib/api-client.ts';
import { useMfaStatus, useStepUp, useStepUpWithPasskey } from '../api/mfa.ts';
import { usePasskeys } from '../../passkeys/api/passkeys.ts';
import { passkeyProblem } from '../../passkeys/lib/problem.ts';
import { CodeForm } from './code-form.tsx';
import { MfaSetupNotice } from '../../../components/ui/mfa-setup-notice.tsx';

/**
 * Step-up before impersonating: a passkey that checks it is you (PIN or biometrics), or a code
 * from the authenticator app (or a recovery code), now; then `onVerified` carries on.
 */
export function StepUp({ error, onVerified }: { error: ApiError; onVerified: () => void }) {
  const stepUp = useStepUp();
  const passkey = useStepUpWithPasskey();
  const mfa = useMfaStatus();
  const passkeys = usePasskeys();
  if (hasCode(error, 'mfa_setup_required')) return <MfaSetupNotice message={error.message} />;
  const hasPasskey = (passkeys.data?.passkeys.length ?? 0) > 0;
  // Until the status is known, the code form shows (the common case).
  const hasApp = mfa.data ? mfa.data.totp.enabled : true;
  const pending = stepUp.isPending || passkey.isPending;
  return (
    <div className="stack">
      <Alert tone="warning" title="Confirm it is you">
        <p>{error.message}</p>
      </Alert>
      {hasPasskey ? (
        <>
          {passkey.error ? <Alert tone="error">{passkeyProblem(passkey.error)}</Alert> : null}
          <Button
            type="button"
            variant={hasApp ? 'secondary' : 'primary'}
            pending={passkey.isPending}
            disabled={pending}
            onClick={() => {
              stepUp.reset();
              passkey.mutate(undefined, { onSuccess: onVerified });
            }}
          >
            Verify with a passkey and start
          </Button>
        </>
      ) : null}
      {hasApp ? (
        <CodeForm
          onSubmit={(answer) => {
            passkey.reset();
            stepUp.mutate(answer, { onSuccess: onVerified });
          }}
          pending={stepUp.isPending}
          error={stepUp.error}
          recovery
          submitLabel="Verify and start"
        />
      ) : null}
    </div>
  );
}
