/**
 * The BFF's relying-party configuration (session/oidc-client.ts), pinned where
 * mutation testing (docs/mutation.md) would otherwise only see it work as a
 * whole: the client secret derived from the newest cookie secret, the client
 * record, the provider metadata, the time limit, and the fetch that sends the
 * provider's public address to this process over loopback with the outside's
 * protocol and host. Pure functions and real HTTP servers on loopback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { loadConfig } from '../config/config.ts';
import { TEST_SECRETS_ENV } from '../testing/test-app.ts';
import { BFF_CLIENT_ID, bffClientRecord, bffClientSecret, bffRedirectUri, createBffOidcConfig } from './oidc-client.ts';

const configFor = (publicUrl: string, cookieSecrets = TEST_SECRETS_ENV.COOKIE_SECRETS) =>
  loadConfig({ NODE_ENV: 'test', PUBLIC_URL: publicUrl, DATABASE_URL: 'sqlite::memory:', ...TEST_SECRETS_ENV, COOKIE_SECRETS: cookieSecrets });

type Seen = { url: string; method: string; headers: IncomingHttpHeaders; body: string };

/** A loopback server that records what reaches it and answers the token endpoint's refusal. */
async function recorder(): Promise<{ origin: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url!, method: req.method!, headers: req.headers, body });
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'recorded' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, server };
}

describe('the BFF client', () => {
  it('derives its secret from the highest-numbered cookie secret (numerically), the same on every instance', () => {
    const config = configFor(
      'https://login.example.test',
      '2:secret-two-secret-two-secret-two-0002,10:secret-ten-secret-ten-secret-ten-0010,9:secret-nine-secret-nine-secret-n-09',
    );
    const expected = createHmac('sha256', 'secret-ten-secret-ten-secret-ten-0010').update('portal-bff-client-secret').digest('base64url');
    assert.equal(bffClientSecret(config), expected);
  });

  it('is registered as the first-party confidential client with these exact fields', () => {
    const config = configFor('https://login.example.test');
    assert.equal(bffRedirectUri(config), 'https://login.example.test/bff/callback');
    assert.deepEqual(bffClientRecord(config, 1234), {
      clientId: 'portal-bff',
      name: 'Portal',
      secret: bffClientSecret(config),
      redirectUris: ['https://login.example.test/bff/callback'],
      postLogoutRedirectUris: ['https://login.example.test/'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      logoUrl: null,
      firstParty: true,
      createdAt: 1234,
    });
    assert.equal(BFF_CLIENT_ID, 'portal-bff');
  });

  it("knows the provider's endpoints and algorithms without discovery, and gives up on it after 10 s", () => {
    const cfg = createBffOidcConfig(configFor('https://login.example.test'), { value: null });
    const issuer = 'https://login.example.test/oauth';
    assert.deepEqual(cfg.serverMetadata(), {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
      revocation_endpoint: `${issuer}/revoke`,
      introspection_endpoint: `${issuer}/introspect`,
      end_session_endpoint: `${issuer}/logout`,
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    assert.equal(cfg.clientMetadata().client_id, 'portal-bff');
    assert.equal(cfg.clientMetadata().id_token_signed_response_alg, 'ES256');
    assert.equal(cfg.timeout, 10);
  });

  describe('requests to the provider', () => {
    let self: Awaited<ReturnType<typeof recorder>>;
    let elsewhere: Awaited<ReturnType<typeof recorder>>;
    before(async () => {
      self = await recorder();
      elsewhere = await recorder();
    });
    after(() => {
      self.server.close();
      elsewhere.server.close();
    });

    it("go to this process over loopback, saying the public address's protocol and host, with the client's credentials", async () => {
      const config = configFor('https://login.example.test');
      const cfg = createBffOidcConfig(config, { value: self.origin });
      self.seen.length = 0;
      await assert.rejects(oidc.refreshTokenGrant(cfg, 'the-refresh-token'), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
      assert.equal(self.seen.length, 1);
      const [req] = self.seen;
      assert.equal(req!.method, 'POST');
      assert.equal(req!.url, '/oauth/token');
      assert.equal(req!.headers['x-forwarded-proto'], 'https');
      assert.equal(req!.headers['x-forwarded-host'], 'login.example.test');
      const basic = Buffer.from(req!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
      assert.deepEqual(basic.split(':').map(decodeURIComponent), ['portal-bff', bffClientSecret(config)], 'client_secret_basic');
      assert.equal(new URLSearchParams(req!.body).get('refresh_token'), 'the-refresh-token');
    });

    it('over plain HTTP too, when the public address is http (development)', async () => {
      const cfg = createBffOidcConfig(configFor(elsewhere.origin), { value: self.origin });
      self.seen.length = 0;
      elsewhere.seen.length = 0;
      await assert.rejects(oidc.refreshTokenGrant(cfg, 'rt'), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
      assert.equal(elsewhere.seen.length, 0, 'not to the public address itself');
      assert.equal(self.seen.length, 1);
      assert.equal(self.seen[0]!.headers['x-forwarded-proto'], 'http');
      assert.equal(self.seen[0]!.headers['x-forwarded-host'], new URL(elsewhere.origin).host);
    });

    it('go where they point, untouched, before the server is up or when addressed elsewhere', async () => {
      self.seen.length = 0;
      elsewhere.seen.length = 0;
      const before = createBffOidcConfig(configFor(elsewhere.origin), { value: null });
      await assert.rejects(oidc.refreshTokenGrant(before, 'rt'), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
      assert.equal(elsewhere.seen.length, 1);
      assert.equal(elsewhere.seen[0]!.headers['x-forwarded-proto'], undefined);
      const cfg = createBffOidcConfig(configFor('https://login.example.test'), { value: self.origin });
      const res = await cfg[oidc.customFetch]!(`${elsewhere.origin}/somewhere`, {
        method: 'GET',
        headers: {},
        body: undefined,
        redirect: 'manual',
        signal: undefined,
      });
      assert.equal(res.status, 400);
      assert.equal(elsewhere.seen.length, 2);
      assert.equal(elsewhere.seen[1]!.url, '/somewhere');
      assert.equal(elsewhere.seen[1]!.headers['x-forwarded-host'], undefined);
      assert.equal(self.seen.length, 0);
    });
  });
});
