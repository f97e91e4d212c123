import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextAreaField, TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { NewClient } from '../api/create-client.ts';
import type { CatalogueScope } from '../api/get-scopes.ts';
import { checkRedirectUris, logoUrlProblem } from '../lib/redirect-uri.ts';
import { SettingsFields, checkSettings, settingsOf, type SettingsValues } from './client-settings-fields.tsx';

/** Every client gets `openid`: without it there is no sign-in. */
export const ALWAYS_INCLUDED_SCOPE = 'openid';

type FormField =
  | 'name'
  | 'redirectUris'
  | 'postLogoutRedirectUris'
  | 'public'
  | 'scopes'
  | 'logoUrl'
  | 'defaultScope'
  | 'accessTokenTtl'
  | 'legacyRefresh'
  | 'backchannelLogoutUri';
const FORM_FIELDS: ReadonlySet<string> = new Set<FormField>([
  'name',
  'redirectUris',
  'postLogoutRedirectUris',
  'public',
  'scopes',
  'logoUrl',
  'defaultScope',
  'accessTokenTtl',
  'legacyRefresh',
  'backchannelLogoutUri',
]);

type FieldErrors = Partial<Record<FormField, string[]>>;

/**
 * Sorts the server's `fields` onto the form's fields. Keys may name an item
 * (`redirectUris.1`, `redirectUris[1]`); unknown keys go to `other`.
 */
export function mapServerFields(fields: Record<string, string> | undefined): { byField: FieldErrors; other: string[] } {
  const byField: FieldErrors = {};
  const other: string[] = [];
  for (const [key, message] of Object.entries(fields ?? {})) {
    const base = key.split(/[.[]/)[0] ?? key;
    if (FORM_FIELDS.has(base)) {
      const field = base as FormField;
      (byField[field] ??= []).push(message);
    } else {
      other.push(message);
    }
  }
  return { byField, other };
}

export interface RegisterClientFormProps {
  catalogue: CatalogueScope[];
  onSubmit: (input: NewClient) => void;
  pending: boolean;
  error: ApiError | null;
}

export function RegisterClientForm({ catalogue, onSubmit, pending, error }: RegisterClientFormProps) {
  const [name, setName] = useState('');
  const [redirectUris, setRedirectUris] = useState('');
  const [isPublic, setIsPublic] = useState(false);
  const [logoUrl, setLogoUrl] = useState('');
  const [scopes, setScopes] = useState<ReadonlySet<string>>(() => new Set([ALWAYS_INCLUDED_SCOPE]));
  const [settings, setSettings] = useState<SettingsValues>(() => settingsOf());
  const [local, setLocal] = useState<FieldErrors>({});

  const available = catalogue.some((scope) => scope.name === ALWAYS_INCLUDED_SCOPE)
    ? catalogue
    : [{ name: ALWAYS_INCLUDED_SCOPE, description: 'Sign you in', required: true }, ...catalogue];

  function toggleScope(scope: string, on: boolean) {
    setScopes((current) => {
      const next = new Set(current);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors: FieldErrors = {};
    if (name.trim() === '') errors.name = ['Enter the app’s name.'];
    const uris = checkRedirectUris(redirectUris);
    if (uris.errors.length > 0) errors.redirectUris = uris.errors;
    const logoProblem = logoUrlProblem(logoUrl);
    if (logoProblem !== null) errors.logoUrl = [logoProblem];
    const checked = checkSettings(settings);
    Object.assign(errors, checked.errors);
    setLocal(errors);
    if (Object.keys(errors).length > 0) return;

    const chosen = available.map((scope) => scope.name).filter((scope) => scope === ALWAYS_INCLUDED_SCOPE || scopes.has(scope));
    const input: NewClient = {
      name: name.trim(),
      redirectUris: uris.uris,
      public: isPublic,
      scopes: chosen,
    };
    if (logoUrl.trim() !== '') input.logoUrl = logoUrl.trim();
    if (checked.postLogout) input.postLogoutRedirectUris = checked.postLogout;
    if (checked.defaultScope.length > 0) input.defaultScope = checked.defaultScope;
    if (checked.ttl !== null) input.accessTokenTtl = checked.ttl;
    if (settings.legacyRefresh) input.legacyRefresh = true;
    if (checked.backchannelLogoutUri) {
      input.backchannelLogoutUri = checked.backchannelLogoutUri;
      input.backchannelLogoutSessionRequired = checked.backchannelLogoutSessionRequired;
    }
    onSubmit(input);
  }

  const server = mapServerFields(error?.fields);
  const errorFor = (field: FormField): string[] | undefined => local[field] ?? server.byField[field];
  const hasLocalErrors = Object.keys(local).length > 0;

  return (
    <section className="card card--wide" aria-labelledby="register-title">
      <h2 id="register-title">Register a partner app</h2>
      <form className="stack" onSubmit={handleSubmit} noValidate>
        {hasLocalErrors ? <Alert tone="error">Check the highlighted fields.</Alert> : null}
        {!hasLocalErrors && error ? (
          <Alert tone="error">
            <p>{error.message}</p>
            {server.other.length > 0 ? (
              <ul>
                {server.other.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            ) : null}
          </Alert>
        ) : null}
        <TextField
          label="Name"
          name="name"
          required
          hint="Shown to people when the app asks for access."
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={errorFor('name')}
        />
        <TextAreaField
          label="Redirect URIs"
          name="redirectUris"
          required
          rows={3}
          spellCheck={false}
          autoCapitalize="off"
          hint="One per line. https:// only; http:// is allowed for localhost, 127.0.0.1 and [::1]. No #fragment."
          value={redirectUris}
          onChange={(event) => setRedirectUris(event.target.value)}
          error={errorFor('redirectUris')}
        />
        <div className={['field', errorFor('public') ? 'field--invalid' : ''].filter(Boolean).join(' ')}>
          <div className="checkbox">
            <input
              id="client-public"
              type="checkbox"
              name="public"
              checked={isPublic}
              onChange={(event) => setIsPublic(event.target.checked)}
              aria-describedby="client-public-hint"
            />
            <label htmlFor="client-public">Public client</label>
          </div>
          <p className="field__hint" id="client-public-hint">
            For apps that cannot keep a secret (single-page and mobile apps). They sign in with PKCE and get no client secret.
          </p>
          {errorFor('public')?.map((message) => (
            <p key={message} className="field__error">
              {message}
            </p>
          ))}
        </div>
        <fieldset className={['scope-list', errorFor('scopes') ? 'field--invalid' : ''].filter(Boolean).join(' ')}>
          <legend>Scopes</legend>
          {available.map((scope) => {
            const always = scope.name === ALWAYS_INCLUDED_SCOPE;
            const id = `client-scope-${scope.name}`;
            return (
              <div className="scope" key={scope.name}>
                <input
                  id={id}
                  type="checkbox"
                  name="scopes"
                  value={scope.name}
                  checked={always || scopes.has(scope.name)}
                  disabled={always}
                  onChange={(event) => toggleScope(scope.name, event.target.checked)}
                />
                <label htmlFor={id} className="scope__label">
                  <code className="scope__name">{scope.name}</code>
                  <span className="scope__description">{scope.description}</span>
                </label>
                {always ? <span className="scope__note">always included</span> : null}
              </div>
            );
          })}
          {errorFor('scopes')?.map((message) => (
            <p key={message} className="field__error">
              {message}
            </p>
          ))}
        </fieldset>
        <TextField
          label="Logo URL (optional)"
          name="logoUrl"
          type="url"
          inputMode="url"
          spellCheck={false}
          hint="An https:// address of a square image."
          value={logoUrl}
          onChange={(event) => setLogoUrl(event.target.value)}
          error={errorFor('logoUrl')}
        />
        <SettingsFields
          idPrefix="client"
          values={settings}
          onChange={setSettings}
          errorFor={errorFor}
          emptyPostLogout="the address of each redirect URI's site."
        />
        <div className="actions">
          <Button type="submit" pending={pending}>
            Register app
          </Button>
        </div>
      </form>
    </section>
  );
}
