import { useEffect, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextAreaField, TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { PartnerClient } from '../api/get-clients.ts';
import type { ClientChanges } from '../api/update-client.ts';
import { checkRedirectUris } from '../lib/redirect-uri.ts';
import { mapServerFields } from './register-client-form.tsx';
import { SettingsFields, checkSettings, settingsOf, type SettingsValues } from './client-settings-fields.tsx';

type EditField = 'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'defaultScope' | 'accessTokenTtl' | 'legacyRefresh' | 'backchannelLogoutUri';

export interface EditClientFormProps {
  client: PartnerClient;
  onSubmit: (changes: ClientChanges) => void;
  onCancel: () => void;
  pending: boolean;
  error: ApiError | null;
}

/**
 * Changes a registered partner app: the settings a partner may need changed
 * later (issue 12). Takes focus when it opens; Escape or Cancel closes it.
 */
export function EditClientForm({ client, onSubmit, onCancel, pending, error }: EditClientFormProps) {
  const [name, setName] = useState(client.name);
  const [redirectUris, setRedirectUris] = useState(client.redirectUris.join('\n'));
  const [settings, setSettings] = useState<SettingsValues>(() => settingsOf(client));
  const [local, setLocal] = useState<Partial<Record<EditField, string[]>>>({});
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [client.clientId]);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors: Partial<Record<EditField, string[]>> = {};
    if (name.trim() === '') errors.name = ['Enter the app’s name.'];
    const uris = checkRedirectUris(redirectUris);
    if (uris.errors.length > 0) errors.redirectUris = uris.errors;
    const checked = checkSettings(settings);
    Object.assign(errors, checked.errors);
    setLocal(errors);
    if (Object.keys(errors).length > 0) return;
    onSubmit({
      name: name.trim(),
      redirectUris: uris.uris,
      postLogoutRedirectUris: checked.postLogout ?? [],
      defaultScope: checked.defaultScope,
      accessTokenTtl: checked.ttl,
      legacyRefresh: settings.legacyRefresh,
      backchannelLogoutUri: checked.backchannelLogoutUri,
      backchannelLogoutSessionRequired: checked.backchannelLogoutSessionRequired,
    });
  }

  function handleKeyDown(event: KeyboardEvent<HTMLElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    }
  }

  const server = mapServerFields(error?.fields);
  const errorFor = (field: EditField): string[] | undefined => local[field] ?? (server.byField as Partial<Record<string, string[]>>)[field];
  const hasLocalErrors = Object.keys(local).length > 0;

  return (
    <section className="card card--wide" aria-labelledby="edit-client-title" onKeyDown={handleKeyDown}>
      <h2 id="edit-client-title" tabIndex={-1} ref={heading}>
        Change {client.name}
      </h2>
      <form className="stack" onSubmit={handleSubmit} noValidate>
        {hasLocalErrors ? <Alert tone="error">Check the highlighted fields.</Alert> : null}
        {!hasLocalErrors && error ? <Alert tone="error">{error.message}</Alert> : null}
        <TextField label="Name" name="name" required value={name} onChange={(event) => setName(event.target.value)} error={errorFor('name')} />
        <TextAreaField
          label="Redirect URIs"
          name="redirectUris"
          required
          rows={3}
          spellCheck={false}
          autoCapitalize="off"
          hint="One per line. https:// only; http:// is allowed for localhost, 127.0.0.1 and [::1]."
          value={redirectUris}
          onChange={(event) => setRedirectUris(event.target.value)}
          error={errorFor('redirectUris')}
        />
        <SettingsFields idPrefix="edit" values={settings} onChange={setSettings} errorFor={errorFor} emptyPostLogout="nowhere." />
        <div className="actions">
          <Button type="submit" pending={pending}>
            Save changes
          </Button>
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </section>
  );
}
