/**
 * CORS for browser partners (cors.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: which origins count (a partner's redirect
 * URIs' origins, never the portal's own client, never `null` or an empty
 * Origin, an unparsable URI naming none), every Access-Control-* header
 * oidc-provider sets taken away for a stranger (with Vary: Origin), answers
 * to callers without an Origin left alone, and the portal's own preflight
 * field by field. Real app, real store, SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { registerClient } from './clients.ts';
import { clientAllowsOrigin, isPartnerOrigin, redirectOrigins } from './cors.ts';

const SPA = 'https://spa.example:8443';
const EVIL = 'https://evil.example';

describe('redirect URIs to origins', () => {
  it('keeps each origin once, drops what does not parse, takes none from nothing', () => {
    assert.deepEqual(
      [...redirectOrigins(['https://a.example/cb', 'https://a.example/other', 'http://127.0.0.1:8080/cb', 'not a url', 'com.example.app:/cb'])],
      ['https://a.example', 'http://127.0.0.1:8080', 'null'],
    );
    assert.deepEqual([...redirectOrigins(undefined)], []);
    assert.deepEqual([...redirectOrigins([])], []);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`CORS, exactly (${db})`, () => {
    let app: TestApp;
    let spaId: string;
    let otherId: string;
    let bffId: string;
    before(async () => {
      app = await startTestApp({ db });
      spaId = (await registerClient(app.store, { name: 'Spa', redirectUris: [`${SPA}/callback`], isPublic: true }, Date.now())).client.clientId;
      otherId = (await registerClient(app.store, { name: 'Other', redirectUris: ['https://other.example/cb'], isPublic: true }, Date.now())).client.clientId;
      bffId = (await app.store.clients.list()).find((c) => c.firstParty)!.clientId;
    });
    after(async () => {
      await app?.close();
    });

    it("counts a partner's redirect origin, never the portal's own client, 'null' or an empty origin", async () => {
      assert.equal(await isPartnerOrigin(app.store, SPA), true);
      assert.equal(await isPartnerOrigin(app.store, 'https://spa.example'), false, 'another port is another origin');
      assert.equal(await isPartnerOrigin(app.store, EVIL), false);
      assert.equal(await isPartnerOrigin(app.store, new URL(app.url).origin), false, "the BFF's own redirect origin is no partner's");
      assert.equal(await isPartnerOrigin(app.store, 'https://other.example'), true);
      assert.equal(await isPartnerOrigin(app.store, 'null'), false, "a sandboxed page's origin");
      assert.equal(await isPartnerOrigin(app.store, ''), false);
      assert.equal(await clientAllowsOrigin(app.store, spaId, SPA), true);
      assert.equal(await clientAllowsOrigin(app.store, spaId, EVIL), false);
      assert.equal(await clientAllowsOrigin(app.store, otherId, SPA), false, "another partner's origin");
      assert.equal(await clientAllowsOrigin(app.store, bffId, new URL(app.url).origin), false, 'the first-party client is never called cross-origin');
      assert.equal(await clientAllowsOrigin(app.store, 'no-such-client', SPA), false);
    });

    it("takes every Access-Control-* header oidc-provider set away from a stranger's preflight, with Vary: Origin", async () => {
      const ask = (origin: string) =>
        fetch(`${app.config.issuer}/token`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, dpop' },
        });
      const partner = await ask(SPA);
      assert.equal(partner.headers.get('access-control-allow-origin'), SPA, "oidc-provider's own answer for a partner");
      const stranger = await ask(EVIL);
      const cors = [...stranger.headers.keys()].filter((h) => h.startsWith('access-control-'));
      assert.deepEqual(cors, [], 'no Access-Control-* header at all');
      assert.match(stranger.headers.get('vary') ?? '', /\borigin\b/i);
      // Discovery and JWKS (open to any origin in oidc-provider): the same for a simple GET.
      for (const path of ['/.well-known/openid-configuration', '/jwks']) {
        const res = await fetch(`${app.config.issuer}${path}`, { headers: { origin: EVIL } });
        assert.equal(res.status, 200, path);
        assert.deepEqual(
          [...res.headers.keys()].filter((h) => h.startsWith('access-control-')),
          [],
          path,
        );
        assert.match(res.headers.get('vary') ?? '', /\borigin\b/i, path);
        const mine = await fetch(`${app.config.issuer}${path}`, { headers: { origin: SPA } });
        assert.equal(mine.headers.get('access-control-allow-origin'), SPA, path);
        const server = await fetch(`${app.config.issuer}${path}`);
        assert.equal(server.headers.get('access-control-allow-origin'), '*', `${path}: a call without Origin is left as oidc-provider answers it`);
      }
    });

    it("a stranger's POST refused before any client is known: no Access-Control-* header at all (not even Expose-Headers)", async () => {
      // oidc-provider opens its client endpoints to the Origin (Allow-Origin, Expose-Headers) and takes
      // Allow-Origin back only once it knows the client; an unknown client_id fails before that.
      for (const path of ['/token', '/introspect', '/revoke']) {
        const res = await fetch(`${app.config.issuer}${path}`, {
          method: 'POST',
          headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: 'no-such-client', grant_type: 'refresh_token', refresh_token: 'x', token: 'x' }),
        });
        assert.equal(res.status, 401, path);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_client', path);
        assert.deepEqual(
          [...res.headers.keys()].filter((h) => h.startsWith('access-control-')),
          [],
          path,
        );
        assert.match(res.headers.get('vary') ?? '', /\borigin\b/i, path);
      }
      // The same refusal for a partner's own origin keeps oidc-provider's headers.
      const own = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: { origin: SPA, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'no-such-client', grant_type: 'refresh_token', refresh_token: 'x' }),
      });
      assert.equal(own.status, 401);
      assert.equal(own.headers.get('access-control-allow-origin'), SPA);
      assert.equal(own.headers.get('access-control-expose-headers'), 'WWW-Authenticate');
      await own.body?.cancel();
    });

    it('answers its own preflight (/oauth/userinfo) field by field for a partner, a bare 204 otherwise', async () => {
      const ask = (origin: string | null, method: string | null, headers?: string) =>
        fetch(`${app.config.issuer}/userinfo`, {
          method: 'OPTIONS',
          headers: {
            ...(origin ? { origin } : {}),
            ...(method ? { 'access-control-request-method': method } : {}),
            ...(headers ? { 'access-control-request-headers': headers } : {}),
          },
        });
      const ok = await ask(SPA, 'GET', 'authorization, dpop');
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), SPA);
      assert.equal(ok.headers.get('access-control-allow-methods'), 'GET,POST');
      assert.equal(ok.headers.get('access-control-allow-headers'), 'authorization, dpop');
      assert.equal(ok.headers.get('access-control-max-age'), '3600');
      assert.match(ok.headers.get('vary') ?? '', /\borigin\b/i);
      const noHeaders = await ask(SPA, 'GET');
      assert.equal(noHeaders.status, 204);
      assert.equal(noHeaders.headers.get('access-control-allow-origin'), SPA);
      assert.equal(noHeaders.headers.get('access-control-allow-headers'), null, 'none asked, none allowed');
      for (const [what, res] of [
        ['a stranger', await ask(EVIL, 'GET', 'authorization')],
        ['no Access-Control-Request-Method (not a preflight)', await ask(SPA, null, 'authorization')],
        ['no Origin', await ask(null, 'GET')],
      ] as const) {
        assert.equal(res.status, 204, what);
        assert.deepEqual(
          [...res.headers.keys()].filter((h) => h.startsWith('access-control-')),
          [],
          what,
        );
        assert.match(res.headers.get('vary') ?? '', /\borigin\b/i, what);
      }
    });
  });
}
