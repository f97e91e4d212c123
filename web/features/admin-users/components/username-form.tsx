import { useEffect, useState, type FormEvent } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { useSetUsername } from '../api/user-actions.ts';
import type { AdminUser } from '../api/users.ts';

/**
 * The person's username: a second name they may sign in with instead of their email (the SaG
 * document's operators sign in with one). Empty removes it. The server checks it is free.
 */
export function UsernameForm({ user }: { user: AdminUser }) {
  const save = useSetUsername(user.id);
  const [value, setValue] = useState(user.username ?? '');
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  // Each refusal is a new error object, so this runs once per refusal.
  useEffect(() => {
    if (save.error) failed();
  }, [save.error, failed]);

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate(value);
  }

  const error = save.error ? (save.error.fields?.username ?? save.error.message) : undefined;
  return (
    <form ref={formRef} className="form" onSubmit={submit} noValidate aria-labelledby="username-title">
      <h3 id="username-title">Username</h3>
      {save.isSuccess ? (
        <SuccessNotice
          title={value.trim() ? `${user.email} can now sign in as ${value.trim()}.` : `${user.email} signs in with their email only.`}
          onDismiss={() => save.reset()}
        />
      ) : null}
      <TextField
        label="Username (optional)"
        hint="They may sign in with it instead of their email. Leave it empty to remove it."
        name="username"
        autoComplete="off"
        value={value}
        maxLength={200}
        onChange={(e) => setValue(e.target.value)}
        error={error}
      />
      <div className="actions">
        <Button type="submit" variant="secondary" pending={save.isPending}>
          Save username
        </Button>
      </div>
    </form>
  );
}
