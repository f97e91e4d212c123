import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { AppLogo } from '../../../components/ui/app-logo.tsx';
import { Button } from '../../../components/ui/button.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { InteractionClient, InteractionScope } from '../api/get-interaction.ts';
import { pageBranding } from '../../../lib/branding.ts';

export interface ConsentFormProps {
  client: InteractionClient;
  user: { email: string; name: string } | null;
  scopes: InteractionScope[];
  /** The scopes to grant: required + checked new ones + those allowed before. */
  onAllow: (scopes: string[]) => void;
  onDeny: () => void;
  /** Which answer is being sent, if any. */
  pending: 'allow' | 'deny' | null;
  error: ApiError | null;
}

export function ConsentForm({ client, user, scopes, onAllow, onDeny, pending, error }: ConsentFormProps) {
  const newScopes = scopes.filter((scope) => !scope.previouslyGranted);
  const allowedBefore = scopes.filter((scope) => scope.previouslyGranted);

  // Optional new scopes start checked: the app asked for them; the user may opt out.
  const [checked, setChecked] = useState<ReadonlySet<string>>(() => new Set(newScopes.filter((scope) => !scope.required).map((scope) => scope.name)));

  function toggle(name: string, on: boolean) {
    setChecked((current) => {
      const next = new Set(current);
      if (on) next.add(name);
      else next.delete(name);
      return next;
    });
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending !== null) return;
    const granted = scopes.filter((scope) => scope.previouslyGranted || scope.required || checked.has(scope.name)).map((scope) => scope.name);
    onAllow(granted);
  }

  const titleId = 'consent-title';
  return (
    <form className="stack" onSubmit={handleSubmit} aria-labelledby={titleId}>
      <header className="card__header">
        <AppLogo name={client.name} logoUrl={client.logoUrl} size="large" />
        <h1 id={titleId}>
          {client.name} wants to access your {pageBranding().portalName} account
        </h1>
        {user ? (
          <p className="muted">
            Signed in as <strong>{user.email}</strong>
          </p>
        ) : null}
      </header>

      {error ? <Alert tone="error">{error.message}</Alert> : null}

      {newScopes.length > 0 ? (
        <fieldset className="scope-list">
          <legend>{client.name} is asking to:</legend>
          {newScopes.map((scope) => {
            const id = `scope-${scope.name}`;
            const noteId = `${id}-note`;
            return (
              <div className="scope" key={scope.name}>
                <input
                  id={id}
                  type="checkbox"
                  name="scopes"
                  value={scope.name}
                  checked={scope.required || checked.has(scope.name)}
                  disabled={scope.required || pending !== null}
                  aria-describedby={scope.required ? noteId : undefined}
                  onChange={(event) => toggle(scope.name, event.target.checked)}
                />
                <label htmlFor={id} className="scope__label">
                  <span className="scope__description">{scope.description}</span>
                  <code className="scope__name">{scope.name}</code>
                </label>
                {scope.required ? (
                  <span className="scope__note" id={noteId}>
                    required
                  </span>
                ) : null}
              </div>
            );
          })}
        </fieldset>
      ) : (
        <p>{client.name} is not asking for anything new.</p>
      )}

      {allowedBefore.length > 0 ? (
        <section className="scope-list scope-list--granted" aria-labelledby="already-allowed-title">
          <h2 id="already-allowed-title" className="scope-list__title">
            Already allowed
          </h2>
          <ul>
            {allowedBefore.map((scope) => (
              <li key={scope.name}>
                {scope.description} <code className="scope__name">{scope.name}</code>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <p className="muted small">You can remove {client.name}’s access at any time from your account page.</p>

      <div className="actions actions--split">
        <Button variant="secondary" onClick={onDeny} pending={pending === 'deny'} disabled={pending !== null}>
          Deny
        </Button>
        <Button type="submit" pending={pending === 'allow'} disabled={pending !== null}>
          Allow
        </Button>
      </div>
    </form>
  );
}
