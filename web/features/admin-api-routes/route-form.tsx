import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { TextField } from '../../components/ui/field.tsx';
import type { ApiError } from '../../lib/api-client.ts';
import { useFocusFirstError } from '../../lib/use-focus-first-error.ts';
import type { NewApiRoute } from './api/api-routes.ts';

const FIELDS = ['path', 'upstream', 'resource', 'scopes', 'requireRole'];

/** Adding a gateway route; the server checks it and names the field at fault. */
export function CreateApiRouteForm({ onSubmit, pending, error }: { onSubmit: (input: NewApiRoute) => void; pending: boolean; error: ApiError | null }) {
  const [path, setPath] = useState('/api/');
  const [upstream, setUpstream] = useState('');
  const [resource, setResource] = useState('');
  const [scopes, setScopes] = useState('');
  const [role, setRole] = useState<'' | 'admin' | 'user'>('');
  const [anonymous, setAnonymous] = useState(false);
  const [allowRedirects, setAllowRedirects] = useState(false);
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  useEffect(() => {
    if (error) failed();
  }, [error, failed]);
  const byField = (name: string) => error?.fields?.[name];
  const other = error && !FIELDS.some((f) => byField(f)) ? error.message : null;

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    onSubmit({
      path: path.trim(),
      upstream: upstream.trim(),
      resource: resource.trim() || null,
      scopes: scopes.split(/[\s,]+/).filter(Boolean),
      requireRole: role || null,
      anonymous,
      allowRedirects,
    });
  }

  return (
    <form ref={formRef} className="card card--wide stack" onSubmit={handleSubmit} aria-labelledby="new-route-title" noValidate>
      <h2 id="new-route-title">Add a route</h2>
      {other ? (
        <Alert tone="error">
          <p>{other}</p>
        </Alert>
      ) : null}
      <TextField
        label="Path"
        hint="Where your app calls it on the portal, like /api/orders."
        required
        value={path}
        onChange={(e) => setPath(e.target.value)}
        error={byField('path')}
      />
      <TextField
        label="Upstream address"
        hint="Where the portal forwards the calls, like https://orders.internal."
        required
        value={upstream}
        onChange={(e) => setUpstream(e.target.value)}
        error={byField('upstream')}
      />
      <TextField
        label="API identifier"
        hint="An API from the APIs screen; its tokens are sent to the upstream. Leave empty for an open route."
        value={resource}
        onChange={(e) => setResource(e.target.value)}
        error={byField('resource')}
      />
      <TextField
        label="Scopes"
        hint="Separated by spaces or commas; empty means all of the API's scopes."
        value={scopes}
        onChange={(e) => setScopes(e.target.value)}
        error={byField('scopes')}
      />
      <div className={['field', byField('requireRole') ? 'field--invalid' : ''].filter(Boolean).join(' ')}>
        <label className="field__label" htmlFor="route-role">
          Who may use it
        </label>
        <select
          id="route-role"
          className="field__input"
          value={role}
          onChange={(e) => setRole(e.target.value as '' | 'admin' | 'user')}
          aria-invalid={byField('requireRole') ? true : undefined}
        >
          <option value="">Everyone signed in</option>
          <option value="admin">Administrators only</option>
          <option value="user">People without the administrator role</option>
        </select>
        {byField('requireRole') ? <p className="field__error">{byField('requireRole')}</p> : null}
      </div>
      <div className="checkbox">
        <input id="route-anonymous" type="checkbox" checked={anonymous} onChange={(e) => setAnonymous(e.target.checked)} />
        <label htmlFor="route-anonymous">Also for people who are not signed in</label>
      </div>
      <div className="checkbox">
        <input id="route-redirects" type="checkbox" checked={allowRedirects} onChange={(e) => setAllowRedirects(e.target.checked)} />
        <label htmlFor="route-redirects">Pass on redirects to other sites</label>
      </div>
      <Button type="submit" pending={pending}>
        Add route
      </Button>
    </form>
  );
}
