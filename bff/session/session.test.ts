import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { unsealData } from 'iron-session';

const PASSWORD = 'correct horse battery staple';

const signIn = (app: TestApp, email: string): Promise<Agent> => signedInAgent(app.url, email, PASSWORD);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`BFF session (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'ann@example.com', password: PASSWORD, name: 'Ann' }, Date.now());
    });
    after(() => app.close());

    it('signs in through the provider and answers who is signed in, never a token', async () => {
      const agent = await signIn(app, 'ann@example.com');
      const res = await agent.api('GET', '/bff/session');
      const text = await res.text();
      const body = JSON.parse(text);
      assert.equal(body.authenticated, true);
      assert.equal(body.user.email, 'ann@example.com');
      assert.doesNotMatch(text, /eyJ|access_token|refresh_token/);
      const cookie = agent.jar.get('portal');
      assert.ok(cookie, 'session cookie set');
      assert.match(cookie.attrs, /HttpOnly/i);
      assert.match(cookie.attrs, /SameSite=Strict/i);
      assert.ok(cookie.value.length < 4096);
      assert.equal(agent.jar.has('portal-tx'), false, 'the login transaction cookie is spent');
    });

    it('two logins use distinct state, nonce and PKCE verifier', async () => {
      const a = new Agent(app.url);
      const r1 = new URL((await a.get('/bff/login')).headers.get('location')!);
      const r2 = new URL((await a.get('/bff/login')).headers.get('location')!);
      for (const p of ['state', 'nonce', 'code_challenge']) assert.notEqual(r1.searchParams.get(p), r2.searchParams.get(p));
      assert.equal(r1.searchParams.get('code_challenge_method'), 'S256');
    });

    it('logout revokes the session server-side: a replayed cookie is anonymous', async () => {
      const agent = await signIn(app, 'ann@example.com');
      const captured = agent.cookieHeader();
      const out = await agent.api('POST', '/bff/logout');
      assert.equal(out.status, 200);
      assert.deepEqual(await out.json(), { redirectTo: '/' });
      const replay = await fetch(`${app.url}/bff/session`, { headers: { cookie: captured } });
      assert.deepEqual(await replay.json(), { authenticated: false });
      const account = await fetch(`${app.url}/bff/account`, { headers: { cookie: captured } });
      assert.equal(account.status, 401);
      // The provider session ended too: signing in again asks for the password.
      const { url } = await agent.follow('/bff/login', (u) => u.pathname.startsWith('/interaction/'));
      const info = await (await agent.api('GET', `/bff/interaction/${url.pathname.split('/')[2]}`)).json();
      assert.equal(info.prompt, 'login');
    });

    it('refuses state-changing calls without the CSRF header or from another site', async () => {
      const agent = await signIn(app, 'ann@example.com');
      const noHeader = await agent.api('POST', '/bff/logout', undefined, { 'x-portal-csrf': '' });
      assert.equal(noHeader.status, 403);
      assert.equal((await noHeader.json()).error, 'csrf_rejected');
      const crossSite = await agent.api('POST', '/bff/logout', undefined, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403);
      const session = await agent.api('GET', '/bff/session');
      assert.equal((await session.json()).authenticated, true, 'the refused logout did nothing');
    });

    it('a tampered cookie is anonymous, never a 500', async () => {
      const agent = await signIn(app, 'ann@example.com');
      const c = agent.jar.get('portal')!;
      const flipped = c.value.slice(0, 20) + (c.value[20] === 'a' ? 'b' : 'a') + c.value.slice(21);
      const res = await fetch(`${app.url}/bff/session`, { headers: { cookie: `portal=${flipped}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { authenticated: false });
    });

    it('refreshes once for many concurrent requests near expiry, and keeps the grant', async () => {
      const agent = await signIn(app, 'ann@example.com');
      const before = await app.store.bffSessions.find(await sessionIdOf(app, agent));
      assert.ok(before);
      // Jump the BFF clock to just before the access token's expiry.
      app.clock.offset = before.accessExpiresAt - Date.now() - 1000;
      try {
        const results = await Promise.all(Array.from({ length: 10 }, () => agent.api('GET', '/bff/session')));
        for (const r of results) assert.equal((await r.json()).authenticated, true);
        const after1 = await app.store.bffSessions.find(before.id);
        assert.equal(after1!.version, before.version + 1, 'exactly one refresh');
        assert.equal(after1!.revokedAt, null);
      } finally {
        app.clock.offset = 0;
      }
      // The refreshed token still works: a second refresh succeeds (no reuse detection fired).
      const s = (await app.store.bffSessions.find(before.id))!;
      app.clock.offset = s.accessExpiresAt - Date.now() - 1000;
      try {
        assert.equal((await (await agent.api('GET', '/bff/session')).json()).authenticated, true);
        assert.equal((await app.store.bffSessions.find(before.id))!.version, before.version + 2);
      } finally {
        app.clock.offset = 0;
      }
    });

    it('a disabled account loses its session', async () => {
      const u = await createAccount(app.store, { email: `dis-${Date.now()}@example.com`, password: PASSWORD }, Date.now());
      const agent = await signIn(app, u.email);
      await app.store.users.setDisabled(u.id, true, Date.now());
      // Disabled from outside this process's session service (as `portal user disable` does):
      // seen once the short per-process session cache lapses.
      await new Promise((r) => setTimeout(r, app.config.sessionCacheMs + 50));
      assert.deepEqual(await (await agent.api('GET', '/bff/session')).json(), { authenticated: false });
    });
  });
}

async function sessionIdOf(app: TestApp, agent: Agent): Promise<string> {
  const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(agent.jar.get('portal')!.value), {
    password: app.config.cookieSecrets as Record<string, string>,
  });
  return sid;
}
