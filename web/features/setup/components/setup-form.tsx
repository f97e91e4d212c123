import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { PASSWORD_MIN } from '../../../../api/passwords.ts';

export interface AdminDetails {
  name: string;
  email: string;
  password: string;
}

export interface SetupFormProps {
  onSubmit: (details: AdminDetails) => void;
  pending: boolean;
  error: ApiError | null;
}

type FieldErrors = Partial<Record<keyof AdminDetails, string>>;

function validate(details: AdminDetails): FieldErrors {
  const errors: FieldErrors = {};
  if (details.name.trim() === '') errors.name = 'Enter a name.';
  if (!/^[^\s@]+@[^\s@]+$/.test(details.email.trim())) errors.email = 'Enter an email address, like admin@example.com.';
  if (details.password.length < PASSWORD_MIN) {
    errors.password = `Use at least ${PASSWORD_MIN} characters.`;
  }
  return errors;
}

export function SetupForm({ onSubmit, pending, error }: SetupFormProps) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [local, setLocal] = useState<FieldErrors>({});
  // Problems found here or by the server: focus goes to the first, so it is read out and seen.
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  useEffect(() => {
    if (error) failed();
  }, [error, failed]);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const details = { name: name.trim(), email: email.trim(), password };
    const errors = validate(details);
    setLocal(errors);
    if (Object.keys(errors).length > 0) {
      failed();
      return;
    }
    onSubmit(details);
  }

  const server = error?.fields ?? {};
  const hasFieldErrors = Object.keys(server).length > 0;
  return (
    <form className="stack" onSubmit={handleSubmit} noValidate aria-labelledby="setup-title" ref={formRef}>
      <header className="card__header">
        <h1 id="setup-title">Create the first administrator</h1>
        <p className="muted">This account can register partner apps and manage users.</p>
      </header>
      {error ? <Alert tone="error">{hasFieldErrors ? 'Check the highlighted fields.' : error.message}</Alert> : null}
      <TextField
        label="Name"
        name="name"
        autoComplete="name"
        required
        value={name}
        onChange={(event) => setName(event.target.value)}
        error={local.name ?? server.name}
      />
      <TextField
        label="Email"
        type="email"
        name="email"
        autoComplete="username"
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        error={local.email ?? server.email}
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        required
        minLength={PASSWORD_MIN}
        hint={`at least ${PASSWORD_MIN} characters`}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={local.password ?? server.password}
      />
      <Button type="submit" className="button--block" pending={pending}>
        Create administrator
      </Button>
    </form>
  );
}
