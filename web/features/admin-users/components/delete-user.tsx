import { useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { useDeleteUser } from '../api/user-actions.ts';
import type { AdminUser } from '../api/users.ts';

/** Deleting needs the email typed out; the audit log keeps its entries about the person. */
export function DeleteUser({ user, self, onDeleted }: { user: AdminUser; self: boolean; onDeleted: () => void }) {
  const remove = useDeleteUser(user.id);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const matches = typed.trim().toLowerCase() === user.email;
  return (
    <section className="card card--wide" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete this account</h2>
      <p className="muted">
        The account, its sessions, connected apps and linked identities are removed. The audit log keeps every entry about it, with its email and name.
      </p>
      <div className="actions">
        <Button
          variant="danger"
          onClick={() => {
            remove.reset();
            setTyped('');
            setOpen(true);
          }}
        >
          Delete account…
        </Button>
      </div>
      <ConfirmDialog
        open={open}
        title={`Delete ${user.email}?`}
        confirmLabel="Delete account"
        pending={remove.isPending}
        error={remove.error && !remove.error.fields?.confirmEmail ? remove.error.message : null}
        onConfirm={() => {
          if (!matches) return;
          remove.mutate({ confirmEmail: typed, confirmSelf: self }, { onSuccess: onDeleted });
        }}
        onCancel={() => setOpen(false)}
      >
        <div className="stack">
          <p>{self ? 'This is your own account: you are signed out at once. ' : ''}This cannot be undone.</p>
          <TextField
            label={`Type ${user.email} to confirm`}
            name="confirmEmail"
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            error={remove.error?.fields?.confirmEmail ?? (typed && !matches ? 'The email does not match yet.' : undefined)}
          />
        </div>
      </ConfirmDialog>
    </section>
  );
}
