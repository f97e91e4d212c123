import { NewPasswordForm } from '../../password-reset/components/new-password-form.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { useChooseNewPassword } from '../api/new-password.ts';
import { InteractionExpired } from './interaction-expired.tsx';

/** Sign-in step: the account's password is an initial one an administrator set; the person chooses their own before the sign-in completes. */
export function NewPasswordStep({ uid, email }: { uid: string; email: string }) {
  const choose = useChooseNewPassword(uid);
  if (isApiError(choose.error) && (choose.error.status === 404 || choose.error.status === 410)) return <InteractionExpired />;
  return (
    <div className="stack">
      <p>Your password was set by an administrator. Choose your own to finish signing in.</p>
      <NewPasswordForm
        email={email}
        title="Choose your own password"
        askSignOut={false}
        submitLabel="Save and continue"
        pending={choose.isPending || choose.isSuccess}
        error={choose.error}
        onSubmit={({ password }) => choose.mutate(password)}
      />
    </div>
  );
}
