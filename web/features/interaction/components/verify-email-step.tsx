import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { useContinueVerified, useResendCode, useSubmitCode } from '../api/verify-email.ts';
import { InteractionExpired } from './interaction-expired.tsx';

/** Sign-in step: the 6-digit code mailed to the account's address (or its link, then Continue). */
export function VerifyEmailStep({ uid, email }: { uid: string; email: string }) {
  const [code, setCode] = useState('');
  const submit = useSubmitCode(uid);
  const resume = useContinueVerified(uid);
  const resend = useResendCode(uid);
  const error = submit.error ?? resume.error ?? resend.error;
  if (error?.status === 404) return <InteractionExpired />;
  const pending = submit.isPending || submit.isSuccess || resume.isPending || resume.isSuccess;

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    resume.reset();
    resend.reset();
    submit.mutate(code.replace(/\s+/g, ''));
  }

  return (
    <form className="stack" onSubmit={handleSubmit} aria-labelledby="verify-title">
      <h1 id="verify-title">Check your email</h1>
      <p>
        We sent a 6-digit code to <strong>{email}</strong>. Enter it to confirm the address is yours.
      </p>
      {error ? (
        <Alert tone="error">
          <p>{error.message}</p>
        </Alert>
      ) : resend.isSuccess ? (
        <Alert tone="success">
          <p role="status">A new code is on its way. Earlier codes no longer work.</p>
        </Alert>
      ) : null}
      <TextField
        label="Code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]*"
        maxLength={7}
        required
        autoFocus
        value={code}
        onChange={(event) => setCode(event.target.value)}
        error={submit.error?.fields?.code}
      />
      <Button type="submit" className="button--block" pending={submit.isPending || submit.isSuccess}>
        Verify and continue
      </Button>
      <Button type="button" variant="secondary" className="button--block" pending={resume.isPending} disabled={pending} onClick={() => resume.mutate()}>
        I opened the link in the mail: continue
      </Button>
      <Button type="button" variant="link" pending={resend.isPending} disabled={pending} onClick={() => resend.mutate()}>
        Send a new code
      </Button>
    </form>
  );
}
