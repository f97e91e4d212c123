/**
 * One partner grant per sign-in session: a replayed code or a late refresh-token
 * reuse on device A revokes A's grant only; device B, signed in to the same
 * partner as the same user, keeps working, and was never asked to consent again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { PARTNER_REDIRECT, refreshWith, testPartner, tokenEndpoint, type TestPartner } from '../testing/partner.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'dev@example.com';

/** A device (its own browser, so its own provider session) signs in to the partner; the partner redeems the code. */
async function device(app: TestApp, p: TestPartner, consent?: 'deny') {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(p.config, {
    redirect_uri: PARTNER_REDIRECT,
    scope: 'openid email offline_access',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  // consent 'deny': a consent screen, if one were shown, would be declined and no code would come back.
  const end = await authorizeThrough(new Agent(app.url), url.href, { email: EMAIL, password: PASSWORD, consent });
  assert.equal(end.searchParams.get('error'), null, 'no consent was asked');
  const code = end.searchParams.get('code')!;
  const tokens = await oidc.authorizationCodeGrant(p.config, end, { pkceCodeVerifier: verifier, expectedState: state });
  return { code, verifier, tokens };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`partner grants per sign-in session (${db})`, () => {
    let app: TestApp;
    let p: TestPartner;
    before(async () => {
      app = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: '0' } });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, emailVerified: true }, Date.now());
      p = await testPartner(app);
    });
    after(() => app.close());

    it('a replayed code on device A leaves device B signed in to the partner', async () => {
      const a = await device(app, p);
      const b = await device(app, p, 'deny');
      const replay = await tokenEndpoint(app, p, { grant_type: 'authorization_code', code: a.code, redirect_uri: PARTNER_REDIRECT, code_verifier: a.verifier });
      assert.equal(replay.status, 400);
      assert.equal((await replay.json()).error, 'invalid_grant');
      assert.equal((await refreshWith(app, p, a.tokens.refresh_token!)).body.error, 'invalid_grant', "A's grant is revoked");
      assert.equal((await oidc.tokenIntrospection(p.config, a.tokens.access_token)).active, false);
      assert.equal((await oidc.tokenIntrospection(p.config, b.tokens.access_token)).active, true);
      const rb = await refreshWith(app, p, b.tokens.refresh_token!);
      assert.equal(rb.status, 200, "B's grant is intact");
      assert.ok(rb.body.refresh_token);
    });

    it('a late refresh-token reuse on device A leaves device B signed in to the partner', async () => {
      const a = await device(app, p);
      const b = await device(app, p, 'deny');
      const rotated = await refreshWith(app, p, a.tokens.refresh_token!);
      assert.equal(rotated.status, 200);
      // The rotated-away token again, after the reuse window (0 s here): theft, A's grant is revoked.
      assert.equal((await refreshWith(app, p, a.tokens.refresh_token!)).body.error, 'invalid_grant');
      assert.equal((await refreshWith(app, p, rotated.body.refresh_token!)).body.error, 'invalid_grant', "A's whole grant is gone");
      const rb = await refreshWith(app, p, b.tokens.refresh_token!);
      assert.equal(rb.status, 200, "B's grant is intact");
      assert.equal((await oidc.tokenIntrospection(p.config, rb.body.access_token!)).active, true);
    });

    it('each device has its own grant, and consent is remembered once per user and partner', async () => {
      const user = (await app.store.users.findByEmail(EMAIL))!;
      const before1 = await app.store.oidcOwners.grantIds(user.id, p.clientId);
      await device(app, p, 'deny');
      await device(app, p, 'deny');
      const after1 = await app.store.oidcOwners.grantIds(user.id, p.clientId);
      assert.equal(after1.length, before1.length + 2, 'two devices, two grants');
      assert.deepEqual(
        (await app.store.consents.listForUser(user.id)).map((c) => c.clientId),
        [p.clientId],
      );
    });
  });
}
