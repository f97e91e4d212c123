import { Alert } from '../../../components/ui/alert.tsx';
import { type ApiError, hasCode } from '../../../lib/api-client.ts';
import { useStepUp } from '../api/mfa.ts';
import { CodeForm } from './code-form.tsx';
import { MfaSetupNotice } from '../../../components/ui/mfa-setup-notice.tsx';

/**
 * Step-up before impersonating: a code from the authenticator app (or a
 * recovery code) now, then `onVerified` carries on with what was asked.
 */
export function StepUp({ error, onVerified }: { error: ApiError; onVerified: () => void }) {
  const stepUp = useStepUp();
  if (hasCode(error, 'mfa_setup_required')) return <MfaSetupNotice message={error.message} />;
  return (
    <div className="stack">
      <Alert tone="warning" title="Confirm it is you">
        <p>{error.message}</p>
      </Alert>
      <CodeForm onSubmit={(answer) => stepUp.mutate(answer, { onSuccess: onVerified })} pending={stepUp.isPending} error={stepUp.error} recovery submitLabel="Verify and start" />
    </div>
  );
}
