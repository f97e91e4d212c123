import { Alert } from './alert.tsx';
import { Button } from './button.tsx';
import { hasCode } from '../../lib/api-client.ts';
import { MfaSetupNotice } from './mfa-setup-notice.tsx';

export interface QueryErrorProps {
  error: Error;
  onRetry?: () => void;
  title?: string;
}

/** A failed load, with the server's message and a way to try again. */
export function QueryError({ error, onRetry, title = 'This could not be loaded' }: QueryErrorProps) {
  // MFA_ADMINS=required: the admin screens open once two-step verification is set up.
  if (hasCode(error, 'mfa_setup_required')) return <MfaSetupNotice message={error.message} />;
  return (
    <Alert tone="error" title={title}>
      <p>{error.message}</p>
      {onRetry ? (
        <p>
          <Button variant="secondary" onClick={onRetry}>
            Try again
          </Button>
        </p>
      ) : null}
    </Alert>
  );
}
