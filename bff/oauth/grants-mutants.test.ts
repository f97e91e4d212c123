/**
 * Remembered consent (grants.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: a decision split into allowed and declined
 * scopes and joined back without duplicates (an allowed scope wins over the
 * same declined one), and exactly those scopes put on a real oidc-provider
 * Grant, for the OpenID scopes and the portal's own resource alike.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
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
