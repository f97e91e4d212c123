/**
 * Reading the session cookie (session/seal-cache.ts), where mutation testing
 * (docs/mutation.md) asks what each part of the Cookie header does: the session
 * cookie found among others (before and after it, with spaces), only under its
 * exact name (not the transaction cookie's, nor a longer name ending in it),
 * percent-decoded, and a value that does not decode or unseal is no session
 * rather than an error; the same for a transaction cookie iron-session throws
 * on. Raw Cookie headers against the real app, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the session cookie as read from the Cookie header (${db})`, () => {
    let app: TestApp;
    let sealed: string;
    let name: string;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
      const agent = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      name = app.deps.cookies.session.cookieName;
      sealed = agent.jar.get(name)!.value;
    });
    after(() => app.close());

    const session = async (cookie: string) => {
      const res = await fetch(`${app.url}/bff/session`, { headers: { cookie } });
      const body = (await res.json()) as { authenticated?: boolean; user?: { email: string } };
      return [res.status, body.user?.email ?? body.authenticated];
    };

    it('finds the session cookie among others, with spaces around it', async () => {
      assert.deepEqual(await session(`${name}=${sealed}`), [200, 'uma@example.com']);
      assert.deepEqual(await session(`theme=dark;  ${name}-tx=abc ;=odd; ${name} = ${sealed} ; lang=en`), [200, 'uma@example.com']);
      assert.deepEqual(await session(`${name}; ${name}=${sealed}`), [200, 'uma@example.com'], 'a bare name first is skipped');
      assert.deepEqual(await session(`${name}x; ${name}=${sealed}`), [200, 'uma@example.com'], 'so is a bare longer name');
      assert.deepEqual(await session(`;${name}=${sealed}`), [200, 'uma@example.com'], 'and an empty part at the very start');
      const none = await fetch(`${app.url}/bff/session`);
      assert.deepEqual([none.status, await none.json()], [200, { authenticated: false }], 'no Cookie header at all');
    });

    it('reads it only under its exact name', async () => {
      assert.deepEqual(await session(`${name}-tx=${sealed}`), [200, false]);
      assert.deepEqual(await session(`x${name}=${sealed}`), [200, false]);
      assert.deepEqual(await session(`theme=${sealed}`), [200, false]);
    });

    it('percent-decodes it, and a value that does not decode or unseal is no session, not an error', async () => {
      const encoded = [...sealed].map((c) => (/[A-Za-z]/.test(c) ? c : `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('');
      assert.notEqual(encoded, sealed);
      assert.deepEqual(await session(`${name}=${encoded}`), [200, 'uma@example.com']);
      assert.deepEqual(await session(`${name}=%E0%A4%A`), [200, false]);
      assert.deepEqual(await session(`${name}=${sealed.slice(0, -2)}`), [200, false]);
      assert.deepEqual(await session(`${name}=${sealed}${'a'.repeat(4096)}`), [200, false]);
      // Seals iron-session throws on (a wrong version, an inherited password id) rather than ignoring.
      assert.deepEqual(await session(`${name}=Fe26.1**a*b*c*d*e*f`), [200, false]);
      assert.deepEqual(await session(`${name}=Fe26.2*__proto__*a*b*c*d*e*f`), [200, false]);
      // The first cookie of the name is the one read, even when it does not decode.
      assert.deepEqual(await session(`${name}=%E0%A4%A; ${name}=${sealed}`), [200, false]);
    });

    it('signs in through a transaction cookie iron-session throws on, as if there were none', async () => {
      for (const tx of ['Fe26.2*__proto__*a*b*c*d*e*f', 'Fe26.1**a*b*c*d*e*f', '%']) {
        const res = await fetch(`${app.url}/bff/login?returnTo=/account`, { redirect: 'manual', headers: { cookie: `${name}-tx=${tx}` } });
        assert.equal(res.status, 303, tx);
        assert.match(res.headers.get('location')!, /\/oauth\/authorize\?/, tx);
        await res.body?.cancel();
      }
    });
  });
}
