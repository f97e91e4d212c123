import { useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { AppLogo } from '../../../components/ui/app-logo.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { formatWait } from '../../../lib/time.ts';
import { useNow } from '../../../lib/use-now.ts';
import type { Credentials } from '../api/submit-login.ts';
import type { InteractionClient } from '../api/get-interaction.ts';

export interface LoginFormProps {
  client: InteractionClient;
  loginHint: string | null;
  onSubmit: (credentials: Credentials) => void;
  /** True while the sign-in request is in flight (and while leaving after it). */
  pending: boolean;
  error: ApiError | null;
  /** Shown above the fields (federation: a link waiting for the password). */
  notice?: ReactNode;
  /** Called when the email field loses focus (home-realm discovery). */
  onEmailBlur?: (email: string) => void;
  /** "Email me a sign-in code" with the email typed so far (absent: no such button). */
  onEmailCode?: (email: string) => void;
}

/** RFC 5321 caps an address at 254 characters; the server refuses longer ones too. */
const EMAIL_MAX = 254;

interface Problems {
  email?: string;
  password?: string;
}

/** The same checks for every form: inline, in words, before anything is sent (the browser's bubbles are off). */
function checkCredentials(email: string, password: string): Problems {
  const problems: Problems = {};
  if (email === '') problems.email = 'Enter your email address.';
  else if (email.length > EMAIL_MAX) problems.email = `An email address has at most ${EMAIL_MAX} characters; this one has ${email.length}.`;
  else if (!/^[^\s@]+@[^\s@]+$/.test(email)) problems.email = 'Enter an email address like name@example.com.';
  if (password === '') problems.password = 'Enter your password.';
  return problems;
}

export function LoginForm({ client, loginHint, onSubmit, pending, error, notice, onEmailBlur, onEmailCode }: LoginFormProps) {
  const [email, setEmail] = useState(loginHint ?? '');
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<Problems>({});
  // A server answer is stale once the person is fixing the form again.
  const [dismissed, setDismissed] = useState<ApiError | null>(null);
  const shownError = error !== dismissed ? error : null;
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  const alertRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error) alertRef.current?.focus();
  }, [error]);

  // After a 429, keep the button disabled until the server's wait is over.
  const blockedUntil = error?.retryAfter ? error.receivedAt + error.retryAfter * 1000 : null;
  const now = useNow(1000, blockedUntil !== null);
  const waitSeconds = blockedUntil === null ? 0 : Math.max(0, Math.ceil((blockedUntil - now) / 1000));

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending || waitSeconds > 0) return;
    const found = checkCredentials(email.trim(), password);
    setProblems(found);
    if (found.email || found.password) {
      setDismissed(error);
      failed();
      return;
    }
    onSubmit({ email: email.trim(), password });
  }

  return (
    <form className="stack" onSubmit={handleSubmit} aria-labelledby="login-title" noValidate ref={formRef}>
      <header className="card__header">
        {client.firstParty ? null : <AppLogo name={client.name} logoUrl={client.logoUrl} size="large" />}
        <h1 id="login-title">Sign in</h1>
        {client.firstParty ? null : (
          <p className="lead">
            to continue to <strong>{client.name}</strong>
          </p>
        )}
      </header>

      {notice}
      {shownError ? (
        <div tabIndex={-1} ref={alertRef} className="focus-target">
          <Alert tone="error">
            <p>{shownError.message}</p>
            {waitSeconds > 0 ? <p>You can try again in {formatWait(waitSeconds)}.</p> : null}
          </Alert>
        </div>
      ) : null}

      <TextField
        label="Email"
        type="email"
        name="email"
        autoComplete="username webauthn"
        required
        autoFocus={loginHint === null}
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        onBlur={onEmailBlur ? () => onEmailBlur(email.trim()) : undefined}
        error={problems.email ?? shownError?.fields?.email}
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        autoFocus={loginHint !== null}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={problems.password ?? shownError?.fields?.password}
      />
      <Button type="submit" className="button--block" pending={pending} disabled={waitSeconds > 0}>
        Sign in
      </Button>
      {onEmailCode ? (
        <Button type="button" variant="secondary" className="button--block" disabled={pending} onClick={() => onEmailCode(email.trim())}>
          Email me a sign-in code
        </Button>
      ) : null}
      <a href={`/forgot-password${email.trim() ? `?email=${encodeURIComponent(email.trim())}` : ''}`}>Forgot password?</a>
    </form>
  );
}
