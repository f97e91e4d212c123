import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { type ApiError, hasCode } from '../../../lib/api-client.ts';
import type { PasswordChange } from '../api/change-password.ts';
import { PASSWORD_MIN } from '../../../../api/passwords.ts';

export interface ChangePasswordFormProps {
  onSubmit: (change: PasswordChange, done: () => void) => void;
  pending: boolean;
  error: ApiError | null;
  succeeded: boolean;
}

export function ChangePasswordForm({ onSubmit, pending, error, succeeded }: ChangePasswordFormProps) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (newPassword.length < PASSWORD_MIN) {
      setLocalError(`Use at least ${PASSWORD_MIN} characters.`);
      return;
    }
    setLocalError(null);
    onSubmit({ currentPassword, newPassword }, () => {
      setCurrentPassword('');
      setNewPassword('');
    });
  }

  // Field errors from the server go next to their field; anything else on top.
  const currentError = error?.fields?.currentPassword ?? (hasCode(error, 'invalid_credentials') ? error.message : undefined);
  const newError = localError ?? error?.fields?.newPassword ?? (hasCode(error, 'weak_password') ? error.message : undefined);
  const generalError = error && currentError === undefined && newError === undefined ? error.message : null;

  return (
    <section className="card card--wide" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form className="stack" onSubmit={handleSubmit}>
        {generalError ? <Alert tone="error">{generalError}</Alert> : null}
        {error && !generalError ? <Alert tone="error">The password was not changed. See the messages below.</Alert> : null}
        {succeeded && !error ? <Alert tone="success">Your password has been changed.</Alert> : null}
        <TextField
          label="Current password"
          type="password"
          name="currentPassword"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={(event) => setCurrentPassword(event.target.value)}
          error={currentError}
        />
        <TextField
          label="New password"
          type="password"
          name="newPassword"
          autoComplete="new-password"
          required
          minLength={PASSWORD_MIN}
          hint={`At least ${PASSWORD_MIN} characters.`}
          value={newPassword}
          onChange={(event) => setNewPassword(event.target.value)}
          error={newError}
        />
        <div className="actions">
          <Button type="submit" pending={pending}>
            Change password
          </Button>
        </div>
      </form>
    </section>
  );
}
