/**
 * A client introspects only its own tokens: another partner asking about them
 * (access or refresh token, JWT or opaque) learns nothing but `active: false`,
 * exactly as for a dead token, while the owner sees them active.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { partnerTokens, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

/** RFC 7662 introspection with HTTP Basic client authentication; the JSON body. */
async function introspect(app: TestApp, by: TestPartner, token: string, hint?: string): Promise<Record<string, unknown>> {
  const basic = Buffer.from(`${by.clientId}:${by.secret}`).toString('base64');
  const res = await fetch(`${app.config.issuer}/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ token, ...(hint ? { token_type_hint: hint } : {}) }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`cross-client introspection (${db})`, () => {
    let app: TestApp;
    let owner: TestPartner;
    let other: TestPartner;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
      owner = await testPartner(app, 'Owner');
      other = await testPartner(app, 'Other');
    });
    after(() => app.close());

    it("another client's access and refresh tokens are inactive to it, active to their owner", async () => {
      const t = await partnerTokens(app, owner, { email: 'pat@example.com', password: PASSWORD });
      for (const [token, hint] of [
        [t.access_token, 'access_token'],
        [t.refresh_token!, 'refresh_token'],
      ] as const) {
        const own = await introspect(app, owner, token, hint);
        assert.equal(own.active, true, hint);
        assert.equal(own.client_id, owner.clientId, hint);
        for (const h of [hint, undefined]) assert.deepEqual(await introspect(app, other, token, h), { active: false }, `${hint} (hint ${h})`);
      }
      // Through openid-client as well, as a partner would call it.
      assert.equal((await oidc.tokenIntrospection(other.config, t.access_token)).active, false);
      assert.equal((await oidc.tokenIntrospection(owner.config, t.access_token)).active, true);
    });
  });
}
