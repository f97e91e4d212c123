import { TextAreaField, TextField } from '../../../components/ui/field.tsx';
import { checkRedirectUris, redirectUriProblem } from '../lib/redirect-uri.ts';

/** The settings a partner app has both at registration and when it is changed later. */
export interface SettingsValues {
  postLogout: string;
  defaultScope: string;
  /** In minutes, as people type it; the BFF stores seconds. */
  accessTokenTtl: string;
  legacyRefresh: boolean;
  /** Where the portal posts logout tokens (OpenID Connect Back-Channel Logout); empty: none. */
  backchannelLogoutUri: string;
  backchannelLogoutSessionRequired: boolean;
}

/** The lifetime range the BFF accepts (60 to 86400 seconds), in the minutes the form shows. */
const TTL_MINUTES = { min: 1, max: 1440 } as const;

/** Seconds as minutes for the field: whole minutes as integers, anything else to two decimals (90 s shows as 1.5). */
export const secondsToMinutes = (seconds: number) => String(Math.round((seconds / 60) * 100) / 100);

export type SettingsField = 'postLogoutRedirectUris' | 'defaultScope' | 'accessTokenTtl' | 'legacyRefresh' | 'backchannelLogoutUri';

export const settingsOf = (c?: {
  postLogoutRedirectUris?: string[];
  defaultScope?: string | null;
  accessTokenTtl?: number | null;
  legacyRefresh?: boolean;
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}): SettingsValues => ({
  postLogout: (c?.postLogoutRedirectUris ?? []).join('\n'),
  defaultScope: c?.defaultScope ?? '',
  accessTokenTtl: c?.accessTokenTtl ? secondsToMinutes(c.accessTokenTtl) : '',
  legacyRefresh: c?.legacyRefresh === true,
  backchannelLogoutUri: c?.backchannelLogoutUri ?? '',
  backchannelLogoutSessionRequired: c?.backchannelLogoutSessionRequired === true,
});

/** Checks the settings as the server will; `postLogout` is null when the box is empty. */
export function checkSettings(v: SettingsValues) {
  const errors: Partial<Record<SettingsField, string[]>> = {};
  const after = v.postLogout.trim() === '' ? null : checkRedirectUris(v.postLogout);
  if (after && after.errors.length > 0) errors.postLogoutRedirectUris = after.errors;
  const minutes = v.accessTokenTtl.trim() === '' ? null : Number(v.accessTokenTtl.trim().replace(',', '.'));
  const ttl = minutes === null ? null : Math.round(minutes * 60);
  if (minutes !== null && !(Number.isFinite(minutes) && minutes >= TTL_MINUTES.min && minutes <= TTL_MINUTES.max)) {
    errors.accessTokenTtl = [`Enter a number of minutes from ${TTL_MINUTES.min} to ${TTL_MINUTES.max} (24 hours), or leave it empty.`];
  }
  const logoutUri = v.backchannelLogoutUri.trim() || null;
  const logoutProblem = logoutUri === null ? null : redirectUriProblem(logoutUri);
  if (logoutProblem) errors.backchannelLogoutUri = [logoutProblem.replaceAll('redirect URI', 'sign-out notification address')];
  return {
    errors,
    postLogout: after?.uris ?? null,
    ttl,
    defaultScope: v.defaultScope.split(/\s+/).filter(Boolean),
    backchannelLogoutUri: logoutUri,
    backchannelLogoutSessionRequired: logoutUri !== null && v.backchannelLogoutSessionRequired,
  };
}

export interface SettingsFieldsProps {
  idPrefix: string;
  values: SettingsValues;
  onChange: (next: SettingsValues) => void;
  errorFor: (field: SettingsField) => string[] | undefined;
  /** What an empty post-logout box means for this form. */
  emptyPostLogout: string;
}

export function SettingsFields({ idPrefix, values, onChange, errorFor, emptyPostLogout }: SettingsFieldsProps) {
  const set = (patch: Partial<SettingsValues>) => onChange({ ...values, ...patch });
  return (
    <>
      <TextAreaField
        label="Post-logout redirect URIs (optional)"
        name="postLogoutRedirectUris"
        rows={2}
        spellCheck={false}
        autoCapitalize="off"
        hint={`Where the app may send people back after they sign out, one per line, matched exactly. Empty: ${emptyPostLogout}`}
        value={values.postLogout}
        onChange={(event) => set({ postLogout: event.target.value })}
        error={errorFor('postLogoutRedirectUris')}
      />
      <TextField
        label="Default scope (optional)"
        name="defaultScope"
        spellCheck={false}
        autoCapitalize="off"
        hint="Scopes, separated by spaces, that an authorization request gets when it names none (e.g. basic). Each must be one of the app's scopes."
        value={values.defaultScope}
        onChange={(event) => set({ defaultScope: event.target.value })}
        error={errorFor('defaultScope')}
      />
      <TextField
        label="Access-token lifetime in minutes (optional)"
        name="accessTokenTtl"
        inputMode="decimal"
        hint="From 1 minute to 1440 minutes (24 hours); 60 is one hour. Empty: the portal's default."
        value={values.accessTokenTtl}
        onChange={(event) => set({ accessTokenTtl: event.target.value })}
        error={errorFor('accessTokenTtl')}
      />
      <div className={['field', errorFor('legacyRefresh') ? 'field--invalid' : ''].filter(Boolean).join(' ')}>
        <div className="checkbox">
          <input
            id={`${idPrefix}-legacy-refresh`}
            type="checkbox"
            name="legacyRefresh"
            checked={values.legacyRefresh}
            onChange={(event) => set({ legacyRefresh: event.target.checked })}
            aria-describedby={`${idPrefix}-legacy-refresh-hint`}
          />
          <label htmlFor={`${idPrefix}-legacy-refresh`}>Legacy refresh (GET /oauth?=token)</label>
        </div>
        <p className="field__hint" id={`${idPrefix}-legacy-refresh-hint`}>
          Weaker: the refresh token travels in the URL and the app does not authenticate. Only for apps written to The Trading Parrot&rsquo;s document. Every
          use is audited.
        </p>
        {errorFor('legacyRefresh')?.map((message) => (
          <p key={message} className="field__error">
            {message}
          </p>
        ))}
      </div>
      <TextField
        label="Sign-out notification address (optional)"
        name="backchannelLogoutUri"
        type="url"
        spellCheck={false}
        autoCapitalize="off"
        hint="OpenID Connect back-channel logout: when someone signs out of the portal, or an admin ends their sessions, the portal tells the app at this address. https:// only (http:// on localhost). Empty: the app is not told."
        value={values.backchannelLogoutUri}
        onChange={(event) => set({ backchannelLogoutUri: event.target.value })}
        error={errorFor('backchannelLogoutUri')}
      />
      <div className="field">
        <div className="checkbox">
          <input
            id={`${idPrefix}-backchannel-session`}
            type="checkbox"
            name="backchannelLogoutSessionRequired"
            checked={values.backchannelLogoutSessionRequired}
            disabled={values.backchannelLogoutUri.trim() === ''}
            onChange={(event) => set({ backchannelLogoutSessionRequired: event.target.checked })}
            aria-describedby={`${idPrefix}-backchannel-session-hint`}
          />
          <label htmlFor={`${idPrefix}-backchannel-session`}>Name the session in every sign-out notification</label>
        </div>
        <p className="field__hint" id={`${idPrefix}-backchannel-session-hint`}>
          For apps that keep one session per portal sign-in: each notification then says which one ended.
        </p>
      </div>
    </>
  );
}
