import { Button } from '../../../components/ui/button.tsx';
import { Alert } from '../../../components/ui/alert.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { useAnswerCode, useAnswerPasskey } from '../api/mfa.ts';
import { passkeyProblem } from '../../passkeys/lib/problem.ts';
import { CodeForm } from './code-form.tsx';
import { InteractionExpired } from '../../interaction/components/interaction-expired.tsx';

/** Sign-in step: the second factor (authenticator app, passkey or recovery code) after the password. */
export function SecondFactorStep({ uid, factors }: { uid: string; factors: string[] }) {
  const code = useAnswerCode(uid);
  const passkey = useAnswerPasskey(uid);
  const expired = [code.error, passkey.error].some((e) => isApiError(e) && (e.status === 404 || e.status === 410));
  if (expired) return <InteractionExpired />;
  const pending = code.isPending || code.isSuccess || passkey.isPending || passkey.isSuccess;
  const hasTotp = factors.includes('totp');
  return (
    <div className="stack">
      <h1>Two-step verification</h1>
      <p>{hasTotp ? 'Enter the code from your authenticator app to finish signing in.' : 'Use your passkey to finish signing in.'}</p>
      {hasTotp || factors.includes('recovery_code') ? (
        <CodeForm
          onSubmit={(answer) => {
            passkey.reset();
            code.mutate(answer);
          }}
          pending={code.isPending || code.isSuccess}
          error={code.error}
          recovery={factors.includes('recovery_code')}
          submitLabel="Verify and continue"
        />
      ) : null}
      {factors.includes('passkey') ? (
        <>
          {passkey.error ? <Alert tone="error">{passkeyProblem(passkey.error)}</Alert> : null}
          <Button
            type="button"
            variant={hasTotp ? 'secondary' : 'primary'}
            className="button--block"
            pending={passkey.isPending || passkey.isSuccess}
            disabled={pending}
            onClick={() => {
              code.reset();
              passkey.mutate();
            }}
          >
            Use a passkey
          </Button>
        </>
      ) : null}
    </div>
  );
}
