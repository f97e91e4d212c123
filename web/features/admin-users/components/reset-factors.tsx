import { useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { useResetFactors, type RemovedFactors } from '../api/user-actions.ts';
import type { AdminUser } from '../api/users.ts';

/** What was removed, in words. */
export function removedInWords(r: RemovedFactors): string {
  const parts = [
    r.totp ? 'their authenticator app' : null,
    r.recoveryCodes > 0 ? `${r.recoveryCodes} unused recovery code${r.recoveryCodes === 1 ? '' : 's'}` : null,
    r.passkeys > 0 ? `${r.passkeys} passkey${r.passkeys === 1 ? '' : 's'}` : null,
  ].filter((p): p is string => p !== null);
  if (parts.length === 0) return 'They had no second factor to remove.';
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `Removed ${list}.`;
}

/** "Reset second factors" for a person who lost their phone or key, confirmed first. */
export function ResetFactors({ user }: { user: AdminUser }) {
  const reset = useResetFactors(user.id);
  const [asking, setAsking] = useState(false);

  return (
    <>
      {reset.isSuccess ? <SuccessNotice title={removedInWords(reset.data.removed)} onDismiss={() => reset.reset()} /> : null}
      <Button
        variant="secondary"
        onClick={() => {
          reset.reset();
          setAsking(true);
        }}
      >
        Reset second factors
      </Button>
      <ConfirmDialog
        open={asking}
        title={`Reset ${user.email}'s second factors?`}
        confirmLabel="Reset second factors"
        tone="danger"
        pending={reset.isPending}
        error={reset.error?.message ?? null}
        onConfirm={() => reset.mutate(undefined, { onSuccess: () => setAsking(false) })}
        onCancel={() => setAsking(false)}
      >
        <p>
          Their authenticator app, recovery codes and passkeys are removed. Until they set up new ones they sign in with their password alone; an administrator
          is asked to set one up at once.
        </p>
      </ConfirmDialog>
    </>
  );
}
