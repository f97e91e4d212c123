/**
 * Guessing client secrets at /oauth/token slows the guesser, never the owner:
 * after a stranger's wrong secrets, the partner (from its own address, and
 * even from the stranger's with the right secret) and the portal's own
 * `portal-bff` client (a full BFF sign-in) still work; the stranger gets 429 +
 * Retry-After. Behind TRUST_PROXY=1 the address is the one the proxy saw,
 * whatever the client wrote to the left of it in X-Forwarded-For.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { partnerTokens, testPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { CLIENT_FAILURES_PER_ADDRESS, CLIENT_FAILURES_PER_SOURCE } from './client-throttle.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'owner@example.com';

/** POST /oauth/token as `clientId:secret` from `from` (the proxy's X-Forwarded-For). */
function token(
  app: TestApp,
  clientId: string,
  secret: string,
  from: string,
  body: Record<string, string> = { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'https://partner.example/cb' },
) {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  return fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}`, 'x-forwarded-for': from },
    body: new URLSearchParams(body),
  });
}

/** Sends `n` wrong secrets and returns their statuses. */
async function guess(app: TestApp, clientId: string, from: string | ((i: number) => string), n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await token(app, clientId, `wrong-${i}`, typeof from === 'string' ? from : from(i));
    statuses.push(res.status);
    await res.body?.cancel();
  }
  return statuses;
}

async function assertThrottled(res: Response): Promise<void> {
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`client authentication throttle (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { TRUST_PROXY: '1' } });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    it('a stranger guessing a partner’s secret gets 429; the partner with the right secret still gets tokens', async () => {
      const p = await testPartner(app);
      const attacker = '203.0.113.7';
      assert.deepEqual(await guess(app, p.clientId, attacker, CLIENT_FAILURES_PER_SOURCE), Array(CLIENT_FAILURES_PER_SOURCE).fill(401));
      await assertThrottled(await token(app, p.clientId, 'one more guess', attacker));
      // The partner, from its own address: a full code flow with openid-client.
      const tokens = await partnerTokens(app, p, { email: EMAIL, password: PASSWORD });
      assert.ok(tokens.access_token);
      // Even from the stranger's address (a shared NAT), the right secret is never refused.
      const refreshed = await token(app, p.clientId, p.secret, attacker, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      await assertThrottled(await token(app, p.clientId, 'still guessing', attacker));
    });

    it('a stranger guessing portal-bff’s secret cannot stop sign-ins through the BFF', async () => {
      const attacker = '203.0.113.8';
      assert.deepEqual(await guess(app, 'portal-bff', attacker, CLIENT_FAILURES_PER_SOURCE), Array(CLIENT_FAILURES_PER_SOURCE).fill(401));
      await assertThrottled(await token(app, 'portal-bff', 'one more guess', attacker));
      const agent = await signedInAgent(app.url, EMAIL, PASSWORD);
      const session = await agent.api('GET', '/bff/session');
      assert.equal(session.status, 200);
      assert.equal(((await session.json()) as { user: { email: string } }).user.email, EMAIL);
    });

    it('one address guessing across many client ids is throttled as an address; other addresses are not', async () => {
      const attacker = '203.0.113.9';
      const statuses: number[] = [];
      for (let i = 0; i < CLIENT_FAILURES_PER_ADDRESS; i++) statuses.push(...(await guess(app, `app_unknown_${i}`, attacker, 1)));
      assert.deepEqual(statuses, Array(CLIENT_FAILURES_PER_ADDRESS).fill(401));
      await assertThrottled(await token(app, 'app_fresh_id', 'guess', attacker));
      assert.equal((await token(app, 'app_fresh_id', 'guess', '198.51.100.20')).status, 401);
    });

    it('rewriting the left of X-Forwarded-For does not give a guesser fresh addresses', async () => {
      const p = await testPartner(app);
      const statuses = await guess(app, p.clientId, (i) => `10.0.${i}.1, 203.0.113.10`, CLIENT_FAILURES_PER_SOURCE);
      assert.deepEqual(statuses, Array(CLIENT_FAILURES_PER_SOURCE).fill(401));
      await assertThrottled(await token(app, p.clientId, 'guess', '10.9.9.9, 203.0.113.10'));
    });
  });
}
