import { useEffect } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { useContinueImpersonation } from '../api/continue-impersonation.ts';

/**
 * The provider's sign-in step of an impersonation: no password is asked, the BFF checks that
 * this browser is the admin who asked, and the provider signs it in as the user.
 */
export function ImpersonationStep({ uid }: { uid: string }) {
  const step = useContinueImpersonation(uid);
  const { mutate } = step;
  useEffect(() => {
    mutate();
  }, [mutate]);
  if (step.isError) {
    return (
      <Alert title="Impersonation could not start">
        <p>{step.error.message}</p>
        <p>
          <a href="/admin/impersonate">Back to the impersonation screen</a>
        </p>
      </Alert>
    );
  }
  return <Spinner label="Signing in as the user…" />;
}
