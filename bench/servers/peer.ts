/**
 * The peer: plain oidc-provider with its built-in in-memory adapter, configured
 * like bff/oauth/provider.ts where the token endpoint is concerned (ES256 ID
 * token, JWT access token through resourceIndicators, refresh rotation, the
 * same client metadata and claims), mounted under Express at /oauth as the
 * portal mounts it. Codes are minted with the same issueCode the portal uses.
 *
 * The built-in adapter keeps at most ~2,000 entries (a two-generation LRU of
 * 1,000): a pool of codes minted ahead would be evicted before use, and every
 * exchange writes five more entries. So this is the same MemoryAdapter class,
 * wired exactly as oidc-provider wires it by default, over a larger LRU.
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import express from 'express';
import Provider, { errors, type Configuration, type JWK } from 'oidc-provider';
import { generateSigningKey } from '../../bff/oauth/keys.ts';
import { CLAIMS, SCOPE_NAMES } from '../../bff/oauth/scopes.ts';
import { PORTAL_RESOURCE } from '../../bff/oauth/resource.ts';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { serve } from '../ipc.ts';
import { mintCodes, type MintTarget } from '../mint.ts';
import { meter, saveProfileWindows } from '../query-count.ts';

interface Setup {
  user: { id: string; email: string; name: string; emailVerified: boolean; updatedAt: number };
  clientMetadata: Record<string, unknown>;
}

const server = createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as { port: number };
const url = `http://127.0.0.1:${port}`;
let provider: Provider | null = null;

async function setup({ user, clientMetadata }: Setup) {
  const key = await generateSigningKey(Date.now());
  const storage = new LRU({ maxSize: 1_000_000 });
  const configuration: Configuration = {
    adapter: (model: string) => new MemoryAdapter(model, storage, 0),
    clients: [clientMetadata as never],
    jwks: { keys: [key.jwk as JWK] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      jwks: '/jwks',
      revocation: '/revoke',
      introspection: '/introspect',
      end_session: '/logout',
    },
    scopes: SCOPE_NAMES,
    claims: CLAIMS,
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: ['portal_first_party'] },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: 600, AuthorizationCode: 30, IdToken: 3600, Interaction: 3600, Session: 14 * 86400, Grant: 14 * 86400, RefreshToken: 14 * 86400 },
    findAccount: async (_ctx, sub) =>
      sub === user.id
        ? {
            accountId: user.id,
            claims: async () => ({
              sub: user.id,
              email: user.email,
              email_verified: user.emailVerified,
              name: user.name,
              updated_at: Math.floor(user.updatedAt / 1000),
            }),
          }
        : undefined,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => PORTAL_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== PORTAL_RESOURCE) throw new errors.InvalidTarget('unknown resource');
          return { scope: SCOPE_NAMES.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256', 'EdDSA'], userinfoSigningAlgValues: ['ES256', 'EdDSA'] },
  };
  provider = new Provider(`${url}/oauth`, configuration);
  const app = express();
  app.disable('x-powered-by');
  app.use('/oauth', provider.callback());
  server.on('request', app);
  return { url };
}

serve({
  setup,
  /** This process's CPU time (no store to count). */
  meter: () => meter({ statements: Number.NaN, transactions: 0 }),
  stop: saveProfileWindows,
  mintCodes({ n, codeChallenge, ...target }: MintTarget & { n: number; codeChallenge: string }) {
    if (!provider) throw new Error('setup first');
    return mintCodes(provider, target, n, codeChallenge);
  },
});
