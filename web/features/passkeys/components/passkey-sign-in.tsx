import { useEffect, useRef } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { usePasskeySignIn } from '../api/passkey-sign-in.ts';
import { isApiError } from '../../../lib/api-client.ts';
import { supportsAutofill } from '../lib/webauthn.ts';
import { passkeyProblem } from '../lib/problem.ts';

export interface PasskeySignInProps {
  uid: string;
  /** Another sign-in is under way. */
  disabled: boolean;
}

/**
 * "Sign in with a passkey", and the same offered quietly in the email field's
 * autofill list (conditional mediation; the field says `username webauthn`).
 */
export function PasskeySignIn({ uid, disabled }: PasskeySignInProps) {
  const button = usePasskeySignIn(uid);
  const autofill = usePasskeySignIn(uid);
  const alertRef = useRef<HTMLDivElement>(null);
  const { mutate: startAutofill } = autofill;

  useEffect(() => {
    let live = true;
    void supportsAutofill().then((yes) => {
      if (yes && live) startAutofill({ autofill: true });
    });
    return () => {
      live = false;
    };
  }, [startAutofill]);

  // Autofill works quietly: the browser's own failures (replaced by the button, unsupported here)
  // are not worth a word; only the portal refusing a passkey the person picked is.
  const autofillError = isApiError(autofill.error) ? autofill.error : null;
  const error = button.error ?? autofillError;
  useEffect(() => {
    if (error) alertRef.current?.focus();
  }, [error]);

  const busy = button.isPending || button.isSuccess || (autofill.isSuccess && 'redirectTo' in autofill.data);
  return (
    <div className="stack">
      {error ? (
        <div tabIndex={-1} ref={alertRef} className="focus-target">
          <Alert tone="error">
            <p>{passkeyProblem(error)}</p>
          </Alert>
        </div>
      ) : null}
      <Button
        type="button"
        variant="secondary"
        className="button--block"
        pending={busy}
        disabled={disabled}
        onClick={() => {
          autofill.reset();
          button.mutate({ autofill: false });
        }}
      >
        Sign in with a passkey
      </Button>
    </div>
  );
}
