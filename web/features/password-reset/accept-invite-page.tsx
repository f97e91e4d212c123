import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useLocation } from 'react-router';
import { Card } from '../../components/ui/card.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { apiPost, isApiError } from '../../lib/api-client.ts';
import type { ApiError } from '../../lib/api-client.ts';
import { loginUrl } from '../../lib/navigation.ts';
import { NewPasswordForm } from './components/new-password-form.tsx';
import { readResetToken } from './reset-password-page.tsx';

/** "Set your password": the invitation mail's link (`/accept-invite#token=…`). */
export function AcceptInvitePage() {
  const { hash } = useLocation();
  const [token] = useState(() => readResetToken(hash));
  const check = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => apiPost<{ email: string; name: string }>('/bff/invitations/check', { token }),
    enabled: token !== null,
    retry: false,
    staleTime: Infinity,
  });
  const accept = useMutation<{ ok: true; email: string }, ApiError, string>({
    mutationFn: (password) => apiPost<{ ok: true; email: string }>('/bff/invitations/accept', { token, password }),
  });
  const invalid = token === null || (isApiError(check.error) && check.error.status === 410) || (isApiError(accept.error) && accept.error.status === 410);

  let body;
  if (invalid) {
    body = (
      <section className="stack" aria-labelledby="invite-invalid-title">
        <h1 id="invite-invalid-title">This invitation cannot be used</h1>
        <p>{accept.error?.message ?? check.error?.message ?? 'This invitation link is incomplete. Open it again from the mail.'}</p>
        <a href={loginUrl('/account')}>Sign in</a>
      </section>
    );
  } else if (accept.isSuccess) {
    body = (
      <section className="stack" aria-labelledby="invite-done-title">
        <h1 id="invite-done-title">Your account is ready</h1>
        <p role="status">Your password is set and your email is verified. Sign in with it now.</p>
        <a className="button button--primary button--block" href={loginUrl('/account')}>
          Sign in
        </a>
      </section>
    );
  } else if (check.isPending) {
    body = <Spinner label="Checking the invitation…" />;
  } else if (check.isError) {
    body = <QueryError error={check.error} onRetry={() => void check.refetch()} />;
  } else {
    body = (
      <NewPasswordForm
        email={check.data.email}
        title="Set your password"
        askSignOut={false}
        submitLabel="Set my password"
        pending={accept.isPending}
        error={accept.error}
        onSubmit={({ password }) => accept.mutate(password)}
      />
    );
  }
  return (
    <div className="page page--centred">
      <Card size="narrow">{body}</Card>
    </div>
  );
}
