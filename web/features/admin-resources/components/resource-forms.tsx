import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { splitList } from '../../admin-connections/components/create-connection-form.tsx';

interface FormProps<T> {
  onSubmit: (input: T) => void;
  pending: boolean;
  error: ApiError | null;
}

/** Moves focus to the first problem each time the server refuses the form (once the problem is on screen). */
function useFocusOnError(error: ApiError | null) {
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  // Each refusal is a new error object, so this runs once per refusal.
  useEffect(() => {
    if (error) failed();
  }, [error, failed]);
  return formRef;
}

/** The server's message for a field, or for the form when it names none of ours. */
function messages(error: ApiError | null, fields: string[]) {
  const byField = (name: string) => error?.fields?.[name];
  const other = error && !fields.some((f) => byField(f)) ? error.message : null;
  return { byField, other };
}

export function CreateResourceForm({ onSubmit, pending, error }: FormProps<{ identifier: string; name: string; scopes: string[] }>) {
  const [identifier, setIdentifier] = useState('');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const formRef = useFocusOnError(error);
  const { byField, other } = messages(error, ['identifier', 'name', 'scopes']);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit({ identifier: identifier.trim(), name: name.trim(), scopes: splitList(scopes) });
  }

  return (
    <form ref={formRef} className="card card--wide stack" onSubmit={handleSubmit} aria-labelledby="new-resource-title" noValidate>
      <h2 id="new-resource-title">Add an API</h2>
      {other ? (
        <Alert tone="error">
          <p>{other}</p>
        </Alert>
      ) : null}
      <TextField
        label="Identifier"
        hint="An https address naming the API, like https://orders.example. Tokens for it carry it as their audience."
        required
        value={identifier}
        onChange={(e) => setIdentifier(e.target.value)}
        error={byField('identifier')}
      />
      <TextField
        label="Name"
        hint="Optional; the identifier is shown when empty."
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={byField('name')}
      />
      <TextField
        label="Scopes"
        hint="Separated by spaces or commas, like orders:read orders:write."
        value={scopes}
        onChange={(e) => setScopes(e.target.value)}
        error={byField('scopes')}
      />
      <Button type="submit" pending={pending}>
        Add API
      </Button>
    </form>
  );
}

export function CreateMachineClientForm({ onSubmit, pending, error }: FormProps<{ name: string; scopes: string[] }>) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const formRef = useFocusOnError(error);
  const { byField, other } = messages(error, ['name', 'scopes']);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit({ name: name.trim(), scopes: splitList(scopes) });
  }

  return (
    <form ref={formRef} className="card card--wide stack" onSubmit={handleSubmit} aria-labelledby="new-machine-title" noValidate>
      <h2 id="new-machine-title">Register a machine client</h2>
      <p>A program that calls these APIs on its own behalf, with no person signing in (client credentials).</p>
      {other ? (
        <Alert tone="error">
          <p>{other}</p>
        </Alert>
      ) : null}
      <TextField label="Client name" required value={name} onChange={(e) => setName(e.target.value)} error={byField('name')} />
      <TextField
        label="Allowed scopes"
        hint="Scopes of the APIs above, separated by spaces or commas."
        required
        value={scopes}
        onChange={(e) => setScopes(e.target.value)}
        error={byField('scopes')}
      />
      <Button type="submit" pending={pending}>
        Register machine client
      </Button>
    </form>
  );
}
