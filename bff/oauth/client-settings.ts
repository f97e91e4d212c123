/**
 * Per-client settings that let a partner written to another provider's document
 * (seed 004, The Trading Parrot) work unchanged: a default scope for an
 * authorization request that names none, and the access-token lifetime. Also
 * which partner tokens end with the browser's sign-in session (decision 0008).
 */
import type { AuthorizationCode, Client, KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { noneUnlessOutage } from '../http/error-handler.ts';

/** Client metadata properties the portal adds (see clients.ts `clientMetadata`). */
export const PORTAL_CLIENT_PROPERTIES = ['portal_first_party', 'portal_default_scope', 'portal_access_token_ttl', 'portal_resource_scopes'];

/** Client metadata property of a machine client: the resource scopes it may be given (space-separated; machine.ts). */
export const RESOURCE_SCOPES_PROPERTY = 'portal_resource_scopes';

const metadataOf = new WeakMap<Client, Record<string, unknown>>();

/**
 * `client.metadata()`, built once per Client object. oidc-provider builds it afresh on every call
 * (every property renamed to snake_case), and a token request asks several times; a Client never
 * changes (a changed client is a new object: oidc-provider files them by their properties' hash).
 */
export function clientMetadataOf(client: Client): Record<string, unknown> {
  let m = metadataOf.get(client);
  if (!m) {
    m = Object.freeze(client.metadata() as Record<string, unknown>);
    metadataOf.set(client, m);
  }
  return m;
}

/** The client's own access-token lifetime, else the configured default. */
export function accessTokenTtlFor(client: Client | undefined, fallback: number): number {
  const ttl = client && clientMetadataOf(client).portal_access_token_ttl;
  return typeof ttl === 'number' && ttl > 0 ? ttl : fallback;
}

type Next = () => Promise<unknown>;

/**
 * Koa middleware: an authorization request (GET) without `scope` gets the
 * client's default scope, as if the partner had named it; the consent screen
 * shows it like any other. A request that names a scope is left alone.
 */
export function defaultScope(provider: Provider) {
  return async (ctx: KoaContextWithOIDC, next: Next) => {
    if (ctx.method === 'GET' && ctx.path === '/authorize') {
      const query = ctx.query;
      const clientId = query.client_id;
      if (query.scope === undefined && typeof clientId === 'string' && clientId) {
        const client = await provider.Client.find(clientId).catch(noneUnlessOutage);
        const scope = client && clientMetadataOf(client).portal_default_scope;
        if (typeof scope === 'string' && scope) ctx.query = { ...query, scope };
      }
    }
    await next();
  };
}

/** Authorization parameter `/user_management/authorize` adds: the code is for a WorkOS session. */
export const FLOW_PARAM = 'portal_flow';
/** Authorization parameter naming the identity provider (connection id) to sign in with at once. */
export const CONNECTION_PARAM = 'portal_connection';
/** Authorization parameter asking the sign-in interaction to open on the sign-up screen (WorkOS `screen_hint=sign-up`). */
export const SCREEN_PARAM = 'portal_screen';

/**
 * Where an interaction is shown: the SPA's screen, or, for a sign-in that
 * named its identity provider (WorkOS `provider`, `connection_id`,
 * `organization_id`), straight to that provider.
 */
export function interactionUrl(interaction: { uid: string; prompt: { name: string }; params: Record<string, unknown> }): string {
  const connection = interaction.params[CONNECTION_PARAM];
  if (interaction.prompt.name !== 'login' || typeof connection !== 'string' || !connection) return `/interaction/${interaction.uid}`;
  const q = new URLSearchParams({ uid: interaction.uid });
  if (typeof interaction.params.login_hint === 'string') q.set('login_hint', interaction.params.login_hint);
  return `/bff/federation/${encodeURIComponent(connection)}/start?${q}`;
}
export const WORKOS_FLOW = 'workos';

/**
 * Whether a code's tokens end with the provider (browser) session, per flow
 * (decision 0008). Only an OpenID Connect sign-in without `offline_access` is
 * bound to the browser session; offline access granted through consent, the
 * classic OAuth 2 flow (no `openid`: the partner has no session to follow) and
 * WorkOS sessions (which end by their own logout) live until their own lifetime
 * or a revocation. The BFF revokes its own grants explicitly.
 */
export function expiresWithSession(ctx: KoaContextWithOIDC, code: AuthorizationCode): boolean {
  if (ctx.oidc.client && clientMetadataOf(ctx.oidc.client).portal_first_party === true) return false;
  if (code.scopes.has('offline_access') || !code.scopes.has('openid')) return false;
  return ctx.oidc.params?.[FLOW_PARAM] !== WORKOS_FLOW;
}
