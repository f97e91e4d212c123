import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import { PASSWORD_MIN } from '../../../../api/passwords.ts';

export interface NewAccountInput {
  email: string;
  name: string;
  password: string;
}

/** "Create account" (SIGNUP=open): email, name, password; the emailed code comes next. */
export function SignUpForm({
  onSubmit,
  onCancel,
  pending,
  error,
}: {
  onSubmit: (v: NewAccountInput) => void;
  onCancel: () => void;
  pending: boolean;
  error: ApiError | null;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit({ email: email.trim(), name: name.trim(), password });
  }

  return (
    <form className="stack" onSubmit={handleSubmit} aria-labelledby="sign-up-title">
      <h1 id="sign-up-title">Create an account</h1>
      {error ? (
        <Alert tone="error">
          <p>{error.message}</p>
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
        onChange={(e) => setEmail(e.target.value)}
        error={error?.fields?.email}
      />
      <TextField label="Name" name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={error?.fields?.name} />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        required
        hint={`At least ${PASSWORD_MIN} characters.`}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={error?.fields?.password}
      />
      <Button type="submit" className="button--block" pending={pending}>
        Create account
      </Button>
      <Button type="button" variant="link" onClick={onCancel} disabled={pending}>
        I already have an account
      </Button>
    </form>
  );
}
