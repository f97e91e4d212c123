import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { QueryError } from '../../../components/ui/query-error.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { formatDate, isoOf } from '../../../lib/time.ts';
import { useAddPasskey, usePasskeys, useRemovePasskey, useRenamePasskey } from '../api/passkeys.ts';
import type { PasskeyView } from '../api/passkeys.ts';
import { passkeyProblem } from '../lib/problem.ts';
import { AddPasskeyForm } from './add-passkey-form.tsx';

function RenameForm({ passkey, onDone }: { passkey: PasskeyView; onDone: () => void }) {
  const rename = useRenamePasskey();
  const [name, setName] = useState(passkey.name);
  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rename.mutate({ id: passkey.id, name: name.trim() }, { onSuccess: onDone });
  }
  return (
    <form className="stack" onSubmit={handleSubmit} noValidate onKeyDown={(e) => e.key === 'Escape' && onDone()}>
      <TextField
        label={`New name for ${passkey.name}`}
        name="rename"
        autoFocus
        autoComplete="off"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={rename.error ? passkeyProblem(rename.error) : undefined}
      />
      <div className="actions">
        <Button type="submit" pending={rename.isPending}>
          Save name
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function PasskeyItem({ passkey, onRemove }: { passkey: PasskeyView; onRemove: () => void }) {
  const [renaming, setRenaming] = useState(false);
  return (
    <li className="app-list__item">
      {renaming ? (
        <RenameForm passkey={passkey} onDone={() => setRenaming(false)} />
      ) : (
        <div className="app-list__head">
          <div className="app-list__title">
            <h3>{passkey.name}</h3>
            <p className="muted small">
              Added <time dateTime={isoOf(passkey.createdAt)}>{formatDate(passkey.createdAt)}</time>
              {' · '}
              {passkey.lastUsedAt === null ? (
                'never used'
              ) : (
                <>
                  last used <time dateTime={isoOf(passkey.lastUsedAt)}>{formatDate(passkey.lastUsedAt)}</time>
                </>
              )}
              {passkey.synced ? ' · synced across your devices' : ''}
            </p>
          </div>
          <Button variant="secondary" aria-label={`Rename ${passkey.name}`} onClick={() => setRenaming(true)}>
            Rename
          </Button>
          <Button variant="danger" aria-label={`Remove ${passkey.name}`} onClick={onRemove}>
            Remove
          </Button>
        </div>
      )}
    </li>
  );
}

/** The account screen's passkeys: list (created, last used), add, rename, remove (confirmed). */
export function PasskeysCard() {
  const passkeys = usePasskeys();
  const remove = useRemovePasskey();
  const add = useAddPasskey();
  const [asking, setAsking] = useState<PasskeyView | null>(null);
  const [done, setDone] = useState<string | null>(null);

  return (
    <section className="card card--wide stack" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted">Sign in with your device’s screen lock or a security key instead of a password.</p>
      {done ? <SuccessNotice title={done} onDismiss={() => setDone(null)} /> : null}
      {passkeys.isPending ? <Spinner /> : null}
      {passkeys.isError ? <QueryError error={passkeys.error} onRetry={() => void passkeys.refetch()} /> : null}
      {passkeys.data && passkeys.data.passkeys.length === 0 ? <p>You have no passkeys yet.</p> : null}
      {passkeys.data && passkeys.data.passkeys.length > 0 ? (
        <ul className="app-list" aria-label="Your passkeys">
          {passkeys.data.passkeys.map((p) => (
            <PasskeyItem key={p.id} passkey={p} onRemove={() => setAsking(p)} />
          ))}
        </ul>
      ) : null}
      {remove.error && !asking ? <Alert tone="error">{passkeyProblem(remove.error)}</Alert> : null}
      <AddPasskeyForm add={add} onAdded={(name) => setDone(`Passkey “${name}” added. You can now sign in with it.`)} />
      <ConfirmDialog
        open={asking !== null}
        title={`Remove the passkey “${asking?.name ?? ''}”?`}
        confirmLabel="Remove passkey"
        pending={remove.isPending}
        error={remove.error && asking ? passkeyProblem(remove.error) : null}
        onCancel={() => {
          remove.reset();
          setAsking(null);
        }}
        onConfirm={() => {
          const target = asking;
          if (!target) return;
          remove.mutate(target.id, {
            onSuccess: () => {
              setAsking(null);
              setDone(`Passkey “${target.name}” removed. It can no longer sign in.`);
            },
          });
        }}
      >
        <p>You will no longer be able to sign in with it. The device may still list it: remove it there too.</p>
      </ConfirmDialog>
    </section>
  );
}
