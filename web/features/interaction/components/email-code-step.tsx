import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { useSubmitSignInCode } from '../api/verify-email.ts';
import { InteractionExpired } from './interaction-expired.tsx';

/** The code from the mail's link (`/interaction/:uid#code=123456`), read once. */
export function codeFromFragment(hash: string): string | null {
  const code = new URLSearchParams(hash.replace(/^#/, '')).get('code');
  return code && /^\d{6}$/.test(code) ? code : null;
}

/** First factor by mail: the 6-digit sign-in code, typed or carried by the mail's link. */
export function EmailCodeStep({ uid, email, message }: { uid: string; email: string; message?: string }) {
  const [fromLink] = useState(() => codeFromFragment(window.location.hash));
  const [code, setCode] = useState(fromLink ?? '');
  const submit = useSubmitSignInCode(uid);
  const { mutate } = submit;
  useEffect(() => {
    if (fromLink) {
      // The code must not stay in the address bar or the history.
      window.history.replaceState(null, '', window.location.pathname);
      mutate(fromLink);
    }
  }, [fromLink, mutate]);
  if (submit.error?.status === 404) return <InteractionExpired />;
  const pending = submit.isPending || submit.isSuccess;

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) submit.mutate(code.replace(/\s+/g, ''));
  }

  return (
    <form className="stack" onSubmit={handleSubmit} aria-labelledby="email-code-title">
      <h1 id="email-code-title">Enter your sign-in code</h1>
      <p>
        {message ?? 'If an account uses that email, a sign-in code is on its way.'} Sent to <strong>{email}</strong>.
      </p>
      {submit.error ? (
        <Alert tone="error">
          <p>{submit.error.message}</p>
        </Alert>
      ) : null}
      <TextField
        label="Sign-in code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={7}
        required
        autoFocus
        value={code}
        onChange={(event) => setCode(event.target.value)}
        error={submit.error?.fields?.code}
      />
      <Button type="submit" className="button--block" pending={pending}>
        Sign in
      </Button>
      <a href={window.location.pathname}>Use a password instead</a>
    </form>
  );
}
