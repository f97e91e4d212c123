import { Alert } from './alert.tsx';

/** MFA_ADMINS / MFA_USERS=required and no second factor yet: the way to the setup on the account screen. */
export function MfaSetupNotice({ message }: { message: string }) {
  return (
    <Alert tone="warning" title="Set up two-step verification first">
      <p>{message}</p>
      <p>
        <a href="/account#two-step-verification">Set up two-step verification</a>
      </p>
    </Alert>
  );
}
