import { useState } from 'react';
import { useLocation } from 'react-router';
import { Card } from '../../components/ui/card.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError, hasCode } from '../../lib/api-client.ts';
import { loginUrl } from '../../lib/navigation.ts';
import { useSetupToken } from './api/check-setup-token.ts';
import { useCreateAdmin } from './api/create-admin.ts';
import { SetupForm } from './components/setup-form.tsx';

/** The one-time token arrives in the fragment (`/setup#token=…`), never sent to servers. */
export function readSetupToken(hash: string): string | null {
  for (const part of hash.replace(/^#/, '').split('&')) {
    const [key, ...rest] = part.split('=');
    if (key !== 'token') continue;
    let value: string;
    try {
      value = decodeURIComponent(rest.join('='));
    } catch {
      return null;
    }
    return value.trim() === '' ? null : value.trim();
  }
  return null;
}

function isTokenInvalid(error: unknown): boolean {
  return isApiError(error) && (error.status === 410 || hasCode(error, 'setup_token_invalid'));
}

function InvalidLink() {
  return (
    <section className="stack" aria-labelledby="setup-invalid-title">
      <h1 id="setup-invalid-title">This setup link cannot be used</h1>
      <p>This setup link was already used or has expired.</p>
      <p>
        To get a new one, restart the portal to print a new link in its log, then open that link. If an administrator already exists,{' '}
        <a href={loginUrl()}>sign in</a> instead.
      </p>
    </section>
  );
}

function Created() {
  return (
    <section className="stack" aria-labelledby="setup-done-title">
      <h1 id="setup-done-title">Administrator created</h1>
      <p>The portal is ready. Sign in with the email and password you just chose.</p>
      <a className="button button--primary button--block" href={loginUrl()}>
        Sign in
      </a>
    </section>
  );
}

function SetupBody({ token }: { token: string }) {
  const check = useSetupToken(token);
  const create = useCreateAdmin();

  if (create.isSuccess) return <Created />;
  if (isTokenInvalid(create.error)) return <InvalidLink />;
  if (check.isPending) return <Spinner label="Checking the setup link…" />;
  if (check.isError) {
    if (isTokenInvalid(check.error)) return <InvalidLink />;
    return <QueryError error={check.error} onRetry={() => void check.refetch()} />;
  }
  return <SetupForm onSubmit={(details) => create.mutate({ token, ...details })} pending={create.isPending} error={create.error} />;
}

export function SetupPage() {
  // Read once: the hash does not change while this page is open.
  const { hash } = useLocation();
  const [token] = useState(() => readSetupToken(hash));
  return (
    <div className="page page--centred">
      <Card size="narrow">{token === null ? <InvalidLink /> : <SetupBody token={token} />}</Card>
    </div>
  );
}
