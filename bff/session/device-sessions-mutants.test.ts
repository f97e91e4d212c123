/**
 * A person's signed-in browsers and connected apps (session/device-sessions.ts,
 * session/connected-apps.ts, session/device-facts.ts), each answer exactly, where mutation testing
 * (docs/mutation.md) asks for it: how a browser and system are named from the user agent (and when
 * they are unknown), the address, the handle, which one is current; which sessions count (not idle,
 * not an impersonation, not another person's); ending one by handle and all the others; the connected
 * apps listed (a deleted app left out) and revoked with their grants; and what a sign-in records of
 * the browser. The store parts through the real app's services on SQLite and PostgreSQL; the browser
 * facts through a bare Express app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, testPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from '../oauth/clients.ts';
import { endDeviceSession, endOtherDeviceSessions, listDeviceSessions, sessionHandle } from './device-sessions.ts';
import { listConnectedApps, revokeConnectedApp } from './connected-apps.ts';
import { deviceFacts } from './device-facts.ts';

const PASSWORD = 'correct horse battery staple';
const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15';
const FIREFOX_NO_VERSION = 'Mozilla/5.0 (X11; Linux x86_64) Gecko Firefox';
const T = { timeout: 20000 };

describe('what a sign-in records of the browser (deviceFacts)', () => {
  it('the user agent cut to 512 characters, none when absent, and the address', T, async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.json(deviceFacts(req));
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const long = 'x'.repeat(600);
      assert.deepEqual(await (await fetch(url, { headers: { 'user-agent': long } })).json(), { userAgent: 'x'.repeat(512), ip: '127.0.0.1' });
      assert.deepEqual(await (await fetch(url, { headers: { 'user-agent': 'Short/1.0' } })).json(), { userAgent: 'Short/1.0', ip: '127.0.0.1' });
      // A request without the header at all (node's fetch always sends one, so raw HTTP).
      const { request } = await import('node:http');
      const bare = await new Promise<string>((resolve, reject) => {
        const req = request(url, { headers: {} }, (res) => {
          let s = '';
          res.on('data', (c) => (s += c));
          res.on('end', () => resolve(s));
        });
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual(JSON.parse(bare), { userAgent: null, ip: '127.0.0.1' });
    } finally {
      server.close();
    }
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`signed-in browsers and connected apps (${db})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    const person = async () => createAccount(app.store, { email: `dev-${db}-${++n}@example.com`, password: PASSWORD }, Date.now());
    const session = (userId: string, data: Record<string, unknown>) => app.sessions.create(userId, { access_token: 'unused' }, Date.now() + 600_000, data);

    it('names each browser and system from its user agent, keeps the address, marks the current one; newest first', T, async () => {
      const u = await person();
      const a = await session(u.id, { userAgent: CHROME_LINUX, ip: '203.0.113.9' });
      const b = await session(u.id, { userAgent: SAFARI_MAC, ip: 42 });
      const c = await session(u.id, { userAgent: FIREFOX_NO_VERSION });
      const d = await session(u.id, { userAgent: 'curl/8.4.0' });
      const e = await session(u.id, { userAgent: 7 });
      const listed = await listDeviceSessions(app.deps, u.id, b.id);
      const byHandle = new Map(listed.map((s) => [s.handle, s]));
      const want = [
        [a, 'Chrome 120', 'Linux', '203.0.113.9', false],
        [b, 'Safari 17', 'macOS Catalina', null, true],
        [c, 'Firefox', 'Linux', null, false],
        [d, 'Unknown browser', 'Unknown system', null, false],
        [e, 'Unknown browser', 'Unknown system', null, false],
      ] as const;
      assert.equal(listed.length, want.length);
      for (const [s, browser, os, ip, current] of want) {
        assert.deepEqual(byHandle.get(sessionHandle(s.id)), {
          handle: sessionHandle(s.id),
          browser,
          os,
          ip,
          createdAt: s.createdAt,
          lastActiveAt: s.lastSeenAt,
          current,
        });
      }
      // The handle: a hash of the id, never the id.
      assert.equal(sessionHandle(a.id), createHash('sha256').update(a.id).digest('base64url').slice(0, 22));
      assert.equal(sessionHandle(a.id).length, 22);
      assert.deepEqual(
        (await listDeviceSessions(app.deps, u.id, null)).map((s) => s.current),
        listed.map(() => false),
      );
    });

    it('leaves out idle sessions, impersonations and other people; ends one by handle, then all but one', T, async () => {
      const u = await person();
      const other = await person();
      const idleMs = app.config.ttl.sessionIdle * 1000;
      const live = await session(u.id, { userAgent: CHROME_LINUX });
      const nearlyIdle = await session(u.id, { userAgent: CHROME_LINUX });
      await app.store.bffSessions.touch(nearlyIdle.id, Date.now() - idleMs + 60_000);
      const idle = await session(u.id, { userAgent: CHROME_LINUX });
      await app.store.bffSessions.touch(idle.id, Date.now() - idleMs - 60_000);
      await session(u.id, { userAgent: CHROME_LINUX, impersonation: { id: 'imp-1' } });
      const theirs = await session(other.id, { userAgent: CHROME_LINUX });
      const handles = async () => (await listDeviceSessions(app.deps, u.id, null)).map((s) => s.handle).sort();
      assert.deepEqual(await handles(), [sessionHandle(live.id), sessionHandle(nearlyIdle.id)].sort());

      assert.equal(await endDeviceSession(app.deps, u.id, sessionHandle(theirs.id)), null, "another person's handle");
      assert.equal(await endDeviceSession(app.deps, u.id, sessionHandle(idle.id)), null, 'an idle one');
      assert.equal((await app.store.bffSessions.find(theirs.id))!.revokedAt, null);
      const ended = await endDeviceSession(app.deps, u.id, sessionHandle(nearlyIdle.id));
      assert.equal(ended?.id, nearlyIdle.id);
      assert.notEqual((await app.store.bffSessions.find(nearlyIdle.id))!.revokedAt, null);
      assert.deepEqual(await handles(), [sessionHandle(live.id)]);

      const more = await session(u.id, { userAgent: SAFARI_MAC });
      await session(u.id, { userAgent: SAFARI_MAC });
      assert.equal(await endOtherDeviceSessions(app.deps, u.id, more.id), 2);
      assert.deepEqual(await handles(), [sessionHandle(more.id)]);
      assert.equal(await endOtherDeviceSessions(app.deps, u.id, null), 1);
      assert.deepEqual(await handles(), []);
      assert.equal(await endOtherDeviceSessions(app.deps, u.id, null), 0);
      assert.equal((await app.store.bffSessions.find(theirs.id))!.revokedAt, null, 'the other person stays signed in');
    });

    it('counts a session as idle from the very millisecond its idle time is up, as the session service does', T, async () => {
      const u = await person();
      const s = await session(u.id, { userAgent: CHROME_LINUX });
      const lastSeen = s.createdAt;
      await app.store.bffSessions.touch(s.id, lastSeen);
      const idleAt = lastSeen + app.config.ttl.sessionIdle * 1000;
      // sessions.ts ends a session when lastSeenAt + idle <= now; the list must not show one it would refuse.
      const at = async (now: number) => (await listDeviceSessions({ ...app.deps, now: () => now }, u.id, null)).map((d) => d.handle);
      assert.deepEqual(await at(idleAt - 1), [sessionHandle(s.id)]);
      assert.deepEqual(await at(idleAt), []);
    });

    it('leaves out an app deleted while its consent screen was open, although the consent given there was stored', T, async () => {
      const u = await person();
      const agent = await signedInAgent(app.url, u.email, PASSWORD);
      const partner = await testPartner(app, 'Deleted Meanwhile', ['openid', 'email']);
      const authorize = oidc.buildAuthorizationUrl(partner.config, {
        redirect_uri: PARTNER_REDIRECT,
        scope: 'openid email',
        state: oidc.randomState(),
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const { url } = await agent.follow(authorize.href, (next) => next.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;
      assert.equal(((await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { prompt: string }).prompt, 'consent');
      assert.equal(await app.store.clients.delete(partner.clientId), true);
      assert.equal((await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: ['email'] })).status, 200);
      assert.ok(await app.store.consents.find(u.id, partner.clientId), 'a consent naming an app that no longer exists');
      assert.deepEqual(await listConnectedApps(app.store, u.id), []);
      const account = await agent.api('GET', '/bff/account');
      assert.equal(account.status, 200);
      assert.deepEqual(((await account.json()) as { connectedApps: unknown[] }).connectedApps, []);
    });

    it('lists connected apps with their allowed scopes (a deleted app left out) and revokes one with its grants', T, async () => {
      const u = await person();
      const t = Date.now();
      const { client } = await registerClient(
        app.store,
        { name: 'Kept App', redirectUris: ['https://kept.example/cb'], isPublic: false, scopes: ['openid', 'email'] },
        t,
      );
      const { client: gone } = await registerClient(
        app.store,
        { name: 'Gone App', redirectUris: ['https://gone.example/cb'], isPublic: false, scopes: ['openid'] },
        t,
      );
      await app.store.consents.upsert({
        userId: u.id,
        clientId: client.clientId,
        scopes: ['openid', 'email', '!profile'],
        grantId: null,
        grantedAt: t - 5,
        updatedAt: t,
      });
      await app.store.consents.upsert({ userId: u.id, clientId: gone.clientId, scopes: ['openid'], grantId: null, grantedAt: t, updatedAt: t });
      await app.store.clients.delete(gone.clientId);
      assert.deepEqual(await listConnectedApps(app.store, u.id), [
        {
          clientId: client.clientId,
          name: 'Kept App',
          logoUrl: null,
          scopes: [
            { name: 'openid', description: 'Confirm who you are (your Portal account identifier)' },
            { name: 'email', description: 'See your email address' },
          ],
          grantedAt: t - 5,
        },
      ]);
      // A grant of that app for this user, as a sign-in leaves it.
      const grant = new app.provider.Grant({ accountId: u.id, clientId: client.clientId });
      grant.addOIDCScope('openid email');
      const grantId = await grant.save();
      assert.ok(await app.provider.Grant.find(grantId));
      assert.equal(await revokeConnectedApp(app.store, u.id, 'app_nobody'), null);
      assert.deepEqual(await revokeConnectedApp(app.store, u.id, client.clientId), { clientId: client.clientId });
      assert.equal(await app.store.consents.find(u.id, client.clientId), null);
      assert.equal(await app.provider.Grant.find(grantId), undefined, 'its grant is gone');
      assert.deepEqual(await listConnectedApps(app.store, u.id), []);
      assert.equal(await revokeConnectedApp(app.store, u.id, client.clientId), null, 'not connected any more');
    });
  });
}
