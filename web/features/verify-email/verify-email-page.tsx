import { useEffect, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useLocation } from 'react-router';
import { Alert } from '../../components/ui/alert.tsx';
import { Card } from '../../components/ui/card.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { apiPost } from '../../lib/api-client.ts';
import type { ApiError } from '../../lib/api-client.ts';
import { loginUrl } from '../../lib/navigation.ts';

/** The mail's link: `/verify-email#token=…` (the fragment never reaches a server log). */
function readToken(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim() || null;
}

/** Verifies the email from the mail's link, in whatever browser opened it; signs nobody in. */
export function VerifyEmailPage() {
  const { hash } = useLocation();
  const [token] = useState(() => readToken(hash));
  const verify = useMutation<{ ok: true; email: string }, ApiError, string>({
    mutationFn: (t) => apiPost<{ ok: true; email: string }>('/bff/verify-email', { token: t }),
  });
  const { mutate } = verify;
  useEffect(() => {
    if (token) mutate(token);
  }, [token, mutate]);

  let body;
  if (!token || verify.isError) {
    body = (
      <section className="stack" aria-labelledby="verify-link-title">
        <h1 id="verify-link-title">This link cannot be used</h1>
        <Alert tone="error">
          <p>{verify.error?.message ?? 'This verification link is incomplete. Open it again from the mail.'}</p>
        </Alert>
        <a href={loginUrl('/account')}>Sign in</a>
      </section>
    );
  } else if (verify.isSuccess) {
    body = (
      <section className="stack" aria-labelledby="verify-link-title">
        <h1 id="verify-link-title">Email verified</h1>
        <p role="status">
          <strong>{verify.data.email}</strong> is verified. If a sign-in is waiting in another tab, choose “continue” there; or sign in here.
        </p>
        <a className="button button--primary button--block" href={loginUrl('/account')}>
          Sign in
        </a>
      </section>
    );
  } else {
    body = <Spinner label="Verifying your email…" />;
  }
  return (
    <div className="page page--centred">
      <Card size="narrow">{body}</Card>
    </div>
  );
}
