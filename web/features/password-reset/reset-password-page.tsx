import { useState } from 'react';
import { useLocation } from 'react-router';
import { Card } from '../../components/ui/card.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError, hasCode } from '../../lib/api-client.ts';
import { loginUrl } from '../../lib/navigation.ts';
import { useResetLink } from './api/check-reset.ts';
import { useCompleteReset } from './api/complete-reset.ts';
import { NewPasswordForm } from './components/new-password-form.tsx';

/** The link's secret arrives in the fragment (`/reset-password#token=…`), never sent to servers by the browser. */
export function readResetToken(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim();
  return token ? token : null;
}

const isLinkInvalid = (error: unknown) => isApiError(error) && (error.status === 410 || hasCode(error, 'reset_link_invalid'));

function InvalidLink() {
  return (
    <section className="stack" aria-labelledby="reset-invalid-title">
      <h1 id="reset-invalid-title">This link cannot be used</h1>
      <p>This password reset link has expired or was already used. Links work once, for 30 minutes.</p>
      <a className="button button--primary button--block" href="/forgot-password">
        Send a new link
      </a>
    </section>
  );
}

function Done({ signedOutEverywhere }: { signedOutEverywhere: boolean }) {
  return (
    <section className="stack" aria-labelledby="reset-done-title">
      <h1 id="reset-done-title">Password changed</h1>
      <p role="status">Your new password is set.{signedOutEverywhere ? ' Every browser and connected app was signed out.' : ''} Sign in with it now.</p>
      <a className="button button--primary button--block" href={loginUrl('/account')}>
        Sign in
      </a>
    </section>
  );
}

function ResetBody({ token }: { token: string }) {
  const check = useResetLink(token);
  const complete = useCompleteReset();
  if (complete.isSuccess) return <Done signedOutEverywhere={complete.data.signedOutEverywhere} />;
  if (isLinkInvalid(complete.error)) return <InvalidLink />;
  if (check.isPending) return <Spinner label="Checking the link…" />;
  if (check.isError) {
    if (isLinkInvalid(check.error)) return <InvalidLink />;
    return <QueryError error={check.error} onRetry={() => void check.refetch()} />;
  }
  return <NewPasswordForm email={check.data.email} pending={complete.isPending} error={complete.error} onSubmit={(v) => complete.mutate({ token, ...v })} />;
}

export function ResetPasswordPage() {
  // Read once: the hash does not change while this page is open.
  const { hash } = useLocation();
  const [token] = useState(() => readResetToken(hash));
  return (
    <div className="page page--centred">
      <Card size="narrow">{token === null ? <InvalidLink /> : <ResetBody token={token} />}</Card>
    </div>
  );
}
