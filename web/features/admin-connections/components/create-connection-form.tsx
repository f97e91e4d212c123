import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { NewConnection } from '../api/create-connection.ts';

type Field = 'name' | 'issuer' | 'clientId' | 'clientSecret' | 'scopes' | 'org' | 'domains';
const FIELDS: ReadonlySet<string> = new Set<Field>(['name', 'issuer', 'clientId', 'clientSecret', 'scopes', 'org', 'domains']);

/** Words separated by spaces, commas or new lines. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The server's `fields` by form field (`domains.1` → domains); the rest for the alert. */
export function fieldErrors(fields: Record<string, string> | undefined): { byField: Partial<Record<Field, string>>; other: string[] } {
  const byField: Partial<Record<Field, string>> = {};
  const other: string[] = [];
  for (const [key, message] of Object.entries(fields ?? {})) {
    const base = key.split(/[.[]/)[0] ?? key;
    if (FIELDS.has(base)) byField[base as Field] ??= message;
    else other.push(message);
  }
  return { byField, other };
}

export interface CreateConnectionFormProps {
  onSubmit: (input: NewConnection) => void;
  pending: boolean;
  error: ApiError | null;
}

export function CreateConnectionForm({ onSubmit, pending, error }: CreateConnectionFormProps) {
  const [values, setValues] = useState<Record<Field, string>>({ name: '', issuer: '', clientId: '', clientSecret: '', scopes: '', org: '', domains: '' });
  const set = (field: Field) => (event: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: event.target.value }));

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const scopes = splitList(values.scopes);
    onSubmit({
      name: values.name.trim(),
      issuer: values.issuer.trim(),
      clientId: values.clientId.trim(),
      clientSecret: values.clientSecret,
      ...(scopes.length ? { scopes } : {}),
      ...(values.org.trim() ? { org: values.org.trim() } : {}),
      domains: splitList(values.domains),
    });
  }

  const server = fieldErrors(error?.fields);
  return (
    <section className="card card--wide" aria-labelledby="create-connection-title">
      <h2 id="create-connection-title">Connect an identity provider</h2>
      <form className="stack" onSubmit={handleSubmit} noValidate>
        {error ? (
          <Alert tone="error">
            <p>{error.message}</p>
            {server.other.length ? (
              <ul>
                {server.other.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            ) : null}
          </Alert>
        ) : null}
        <TextField
          label="Name"
          name="name"
          required
          hint="Shown on the sign-in button: “Continue with <name>”."
          value={values.name}
          onChange={set('name')}
          error={server.byField.name}
        />
        <TextField
          label="Issuer URL"
          name="issuer"
          type="url"
          required
          spellCheck={false}
          hint="The provider’s OpenID issuer, e.g. https://accounts.google.com. The portal reads its discovery document before saving."
          value={values.issuer}
          onChange={set('issuer')}
          error={server.byField.issuer}
        />
        <TextField
          label="Client ID"
          name="clientId"
          required
          spellCheck={false}
          value={values.clientId}
          onChange={set('clientId')}
          error={server.byField.clientId}
        />
        <TextField
          label="Client secret"
          name="clientSecret"
          type="password"
          autoComplete="off"
          required
          hint="Stored encrypted; it is never shown again."
          value={values.clientSecret}
          onChange={set('clientSecret')}
          error={server.byField.clientSecret}
        />
        <TextField
          label="Scopes (optional)"
          name="scopes"
          spellCheck={false}
          hint="Default: openid profile email."
          value={values.scopes}
          onChange={set('scopes')}
          error={server.byField.scopes}
        />
        <TextField
          label="Organization (optional)"
          name="org"
          spellCheck={false}
          hint="An organization id or name: its users sign in through this provider (authentication method SSO)."
          value={values.org}
          onChange={set('org')}
          error={server.byField.org}
        />
        <TextField
          label="Email domains (optional)"
          name="domains"
          spellCheck={false}
          hint="People whose email is at these domains go straight to this provider. Separate with spaces or commas."
          value={values.domains}
          onChange={set('domains')}
          error={server.byField.domains}
        />
        <div className="actions">
          <Button type="submit" pending={pending}>
            Add connection
          </Button>
        </div>
      </form>
    </section>
  );
}
