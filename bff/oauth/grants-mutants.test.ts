/**
 * Remembered consent (grants.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: a decision split into allowed and declined
 * scopes and joined back without duplicates (an allowed scope wins over the
 * same declined one), and exactly those scopes put on a real oidc-provider
 * Grant, for the OpenID scopes and the portal's own resource alike.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { BFF_CLIENT_ID } from '../session/oidc-client.ts';
import { applyScopes, joinConsent, splitConsent } from './grants.ts';
import { PORTAL_RESOURCE } from './resource.ts';

const consent = (scopes: string[]) => ({ userId: 'u', clientId: 'c', scopes, grantId: null, grantedAt: 1, updatedAt: 1 });

describe('remembered consent, exactly', () => {
  it('splits a decision: declined scopes carry a leading !, nothing remembered is nothing', () => {
    assert.deepEqual(splitConsent(consent(['openid', '!email', 'profile', '!offline_access'])), {
      allowed: ['openid', 'profile'],
      declined: ['email', 'offline_access'],
    });
    assert.deepEqual(splitConsent(null), { allowed: [], declined: [] });
    assert.deepEqual(splitConsent(consent([])), { allowed: [], declined: [] });
    assert.deepEqual(splitConsent(consent(['a!b'])), { allowed: ['a!b'], declined: [] }, 'only a leading mark declines');
  });

  it('joins a decision: each scope once, allowed first in order, a scope both allowed and declined stays allowed', () => {
    assert.deepEqual(joinConsent(['openid', 'email', 'openid'], ['profile', 'profile', 'email', 'basic']), ['openid', 'email', '!profile', '!basic']);
    assert.deepEqual(joinConsent([], []), []);
    assert.deepEqual(joinConsent([], ['email']), ['!email']);
    assert.deepEqual(splitConsent(consent(joinConsent(['openid'], ['email']))), { allowed: ['openid'], declined: ['email'] }, 'round trip');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`scopes on a real grant (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(async () => {
      await app?.close();
    });
    const grant = () => new app.provider.Grant({ accountId: 'account-1', clientId: 'client-1' });

    it('puts exactly the allowed scopes on the grant and marks the declined ones rejected, for OpenID and the portal resource', () => {
      const g = grant();
      applyScopes(g, ['openid', 'email'], ['profile', 'offline_access']);
      assert.equal(g.getOIDCScope(), 'openid email');
      assert.equal(g.getRejectedOIDCScope(), 'profile offline_access');
      assert.equal(g.getResourceScope(PORTAL_RESOURCE), 'openid email');
      assert.equal(g.getRejectedResourceScope(PORTAL_RESOURCE), 'profile offline_access');
    });

    it('a scope declined before and allowed now leaves the rejected lists; the others stay rejected, in order', () => {
      const g = grant();
      applyScopes(g, ['openid'], ['profile', 'email', 'offline_access']);
      applyScopes(g, ['openid', 'email'], []);
      assert.equal(g.getOIDCScope(), 'openid email');
      assert.equal(g.getRejectedOIDCScope(), 'profile offline_access');
      assert.equal(g.getResourceScope(PORTAL_RESOURCE), 'openid email');
      assert.equal(g.getRejectedResourceScope(PORTAL_RESOURCE), 'profile offline_access');
    });

    it('adds nothing when nothing is allowed, rejects nothing when nothing is declined', () => {
      const none = grant();
      applyScopes(none, [], ['email']);
      assert.equal(none.getOIDCScope(), '');
      assert.equal(none.getResourceScope(PORTAL_RESOURCE), '');
      assert.equal(none.getRejectedOIDCScope(), 'email');
      assert.equal(none.getRejectedResourceScope(PORTAL_RESOURCE), 'email');
      assert.equal(none.openid, undefined, 'no empty OpenID entry either');
      assert.equal(none.resources?.[PORTAL_RESOURCE], undefined, 'no empty resource entry either');

      const all = grant();
      applyScopes(all, ['openid'], []);
      assert.equal(all.getOIDCScope(), 'openid');
      assert.equal(all.rejected, undefined, 'no rejection recorded');
    });
  });
}

const EMAIL = 'gia@example.com';
const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the grant loaded for an authorization, through the real provider (${db})`, () => {
    let app: TestApp;
    let p: TestPartner;
    let userId: string;
    before(async () => {
      app = await startTestApp({ db });
      userId = (await createAccount(app.store, { email: EMAIL, password: PASSWORD, emailVerified: true }, Date.now())).id;
      p = await testPartner(app);
    });
    after(async () => {
      await app?.close();
    });

    /** One authorization from `start` in `agent`'s browser: the prompts shown (consent answered with `consent`), and where it ends. */
    async function walk(agent: Agent, start: string, consent: string[] | 'deny') {
      const prompts: string[] = [];
      let { url: at } = await agent.follow(start, (u) => u.pathname.startsWith('/interaction/'));
      while (at.pathname.startsWith('/interaction/')) {
        assert.ok(prompts.length < 3, 'no interaction loop');
        const uid = at.pathname.split('/')[2]!;
        const info = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { prompt: string };
        prompts.push(info.prompt);
        const res =
          info.prompt === 'login'
            ? await agent.api('POST', `/bff/interaction/${uid}/login`, { email: EMAIL, password: PASSWORD })
            : consent === 'deny'
              ? await agent.api('POST', `/bff/interaction/${uid}/deny`, {})
              : await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: consent });
        assert.equal(res.status, 200, info.prompt);
        const { redirectTo } = (await res.json()) as { redirectTo: string };
        ({ url: at } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/')));
      }
      return { prompts, at };
    }
    /** The partner's authorization: the prompts, and the code or error it got back. */
    async function authorize(agent: Agent, consent: string[] | 'deny' = ['openid', 'email']) {
      const url = oidc.buildAuthorizationUrl(p.config, {
        redirect_uri: PARTNER_REDIRECT,
        scope: 'openid email',
        state: oidc.randomState(),
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const { prompts, at } = await walk(agent, url.href, consent);
      return { prompts, code: at.searchParams.get('code'), error: at.searchParams.get('error') };
    }
    const grants = () => app.store.oidcOwners.grantIds(userId, p.clientId);

    it('the portal itself is never asked; a partner is asked once, and the grant made at the consent screen is the one kept', async () => {
      // The portal's own sign-in (its first-party BFF): asked for the password only, never for consent.
      const browser = new Agent(app.url);
      const portal = await walk(browser, '/bff/login?returnTo=/account', 'deny');
      assert.deepEqual([portal.prompts, portal.at.pathname], [['login'], '/account']);
      const [portalGrantId, ...more] = await app.store.oidcOwners.grantIds(userId, BFF_CLIENT_ID);
      assert.deepEqual(more, []);
      const portalGrant = (await app.provider.Grant.find(portalGrantId!))!;
      assert.equal(portalGrant.getOIDCScope(), 'openid profile email', 'what the BFF asked for (oidc-provider drops offline_access without prompt=consent)');
      assert.equal(portalGrant.rejected, undefined, 'nothing declined for it');
      // An authorization for a first-party client that names no scope is refused before any grant is
      // loaded (require_auth_time needs openid), so `requested` never reads an absent scope for one.
      const bare = new URL(p.config.serverMetadata().authorization_endpoint!);
      bare.search = new URLSearchParams({
        client_id: BFF_CLIENT_ID,
        response_type: 'code',
        redirect_uri: `${app.config.publicUrl}/bff/callback`,
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).toString();
      const noScope = await walk(browser, bare.href, 'deny');
      assert.deepEqual(
        [noScope.prompts, noScope.at.pathname, noScope.at.searchParams.get('error'), noScope.at.searchParams.get('error_description')],
        [[], '/bff/callback', 'invalid_request', 'openid scope must be requested for clients with require_auth_time'],
      );
      assert.equal((await app.provider.Grant.find(portalGrantId!))!.getOIDCScope(), 'openid profile email');
      // A decision not given: nothing remembered, no grant stored.
      assert.deepEqual(await authorize(browser, 'deny'), { prompts: ['consent'], code: null, error: 'access_denied' });
      assert.deepEqual(await grants(), []);
      // Given: one grant, the one the consent screen saved.
      const first = await authorize(browser);
      assert.deepEqual([first.prompts, first.error, typeof first.code], [['consent'], null, 'string']);
      const [grantId, ...others] = await grants();
      assert.deepEqual(others, []);
      // The same browser again: no prompt at all, and still that one grant, with the scopes asked.
      const again = await authorize(browser);
      assert.deepEqual([again.prompts, again.error, typeof again.code], [[], null, 'string']);
      assert.deepEqual(await grants(), [grantId]);
      assert.equal((await app.provider.Grant.find(grantId!))!.getOIDCScope(), 'openid email');
      // Another browser of the same user: signed in, not asked again (the decision is remembered), its own grant.
      const other = await authorize(new Agent(app.url), 'deny');
      assert.deepEqual([other.prompts, other.error, typeof other.code], [['login'], null, 'string']);
      assert.equal((await grants()).length, 2);
    });
  });
}
