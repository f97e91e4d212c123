import { useState } from 'react';
import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { Card } from '../../components/ui/card.tsx';
import { TextField } from '../../components/ui/field.tsx';
import { loginUrl } from '../../lib/navigation.ts';
import { useRequestReset } from './api/request-reset.ts';

/** "Forgot password?": asks for a reset link by email. */
export function ForgotPasswordPage() {
  const [params] = useSearchParams();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const request = useRequestReset();

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!request.isPending) request.mutate(email.trim());
  }

  return (
    <div className="page page--centred">
      <Card size="narrow">
        {request.isSuccess ? (
          <section className="stack" aria-labelledby="forgot-sent-title">
            <h1 id="forgot-sent-title">Check your email</h1>
            <p role="status">{request.data.message}</p>
            <p>The link opens in any browser. Nothing arrived? Look in your spam folder, or ask again in a few minutes.</p>
            <a href={loginUrl()}>Back to sign in</a>
          </section>
        ) : (
          <form className="stack" onSubmit={handleSubmit} aria-labelledby="forgot-title">
            <h1 id="forgot-title">Forgot your password?</h1>
            <p>Enter your account&apos;s email. We will send you a link to choose a new password.</p>
            {request.error ? (
              <Alert tone="error">
                <p>{request.error.message}</p>
              </Alert>
            ) : null}
            <TextField
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              error={request.error?.fields?.email}
            />
            <Button type="submit" className="button--block" pending={request.isPending}>
              Send the link
            </Button>
            <a href={loginUrl()}>Back to sign in</a>
          </form>
        )}
      </Card>
    </div>
  );
}
