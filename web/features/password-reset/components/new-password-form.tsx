import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import { PASSWORD_MIN } from '../../../../api/passwords.ts';

export interface NewPasswordFormProps {
  email: string;
  pending: boolean;
  error: ApiError | null;
  onSubmit: (value: { password: string; signOutEverywhere: boolean }) => void;
  /** Heading; and whether to offer "Sign out everywhere" (not for a first password). */
  title?: string;
  askSignOut?: boolean;
  submitLabel?: string;
}

export function NewPasswordForm({
  email,
  pending,
  error,
  onSubmit,
  title = 'Choose a new password',
  askSignOut = true,
  submitLabel = 'Set the new password',
}: NewPasswordFormProps) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [signOutEverywhere, setSignOutEverywhere] = useState(true);
  const mismatch = confirm !== '' && confirm !== password;

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending || mismatch) return;
    onSubmit({ password, signOutEverywhere });
  }

  return (
    <form className="stack" onSubmit={handleSubmit} aria-labelledby="reset-title">
      <h1 id="reset-title">{title}</h1>
      <p>
        For <strong>{email}</strong>
      </p>
      {error ? (
        <Alert tone="error">
          <p>{error.message}</p>
        </Alert>
      ) : null}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <TextField
        label="New password"
        type="password"
        name="password"
        autoComplete="new-password"
        required
        autoFocus
        hint={`At least ${PASSWORD_MIN} characters.`}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={error?.fields?.password}
      />
      <TextField
        label="Repeat the new password"
        type="password"
        name="confirm"
        autoComplete="new-password"
        required
        value={confirm}
        onChange={(event) => setConfirm(event.target.value)}
        error={mismatch ? 'The two passwords differ.' : undefined}
      />
      {askSignOut ? (
        <div className="scope">
          <input id="sign-out-everywhere" type="checkbox" checked={signOutEverywhere} onChange={(event) => setSignOutEverywhere(event.target.checked)} />
          <label htmlFor="sign-out-everywhere">Sign out everywhere (every browser and every connected app)</label>
        </div>
      ) : null}
      <Button type="submit" className="button--block" pending={pending} disabled={mismatch}>
        {submitLabel}
      </Button>
    </form>
  );
}
