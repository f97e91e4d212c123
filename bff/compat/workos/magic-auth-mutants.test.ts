/**
 * WorkOS Magic Auth (magic-auth.ts) called directly on the real app's deps
 * and mail outbox, where mutation testing (docs/mutation.md) found it
 * unchecked: the API key's refusal sentence, createMagicAuth's answer exactly
 * (id, normalised email, ten-minute expiry) and its audit entry with the
 * partner's or the request's address and agent, the pending code kept per
 * client and email under its own settings key until it lapses, and
 * authenticateWithMagicAuth refusing a client without its secret and an
 * email no code was sent to, reading the email in any case and the code
 * trimmed, and its exact sign_in entry. Real store and SMTP server, SQLite
 * and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { authenticateWithMagicAuth, clientByApiKey, createMagicAuth } from './magic-auth.ts';
import type { RequestInfo, WorkOSHooks } from './exchange.ts';
import type { CreateMagicAuth } from './schema.ts';
import { WorkOSError } from './map.ts';
import { createResource, registerMachineClient } from '../../oauth/machine.ts';
import { mailedCode, partner, PASSWORD, type Partner } from './test-helpers.ts';

const T = { timeout: 30000 };
const MAGIC_AUTH = 'urn:workos:oauth:grant-type:magic-auth:code';

async function thrown(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkOSError, String(e));
    return [e.status, e.oauthError, e.code, e.message];
  }
  return assert.fail('expected a WorkOSError');
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS Magic Auth, exactly (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let conf: Partner;
    let other: Partner;
    let pub: Partner;
    let hooks: WorkOSHooks;
    let n = 0;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      conf = await partner(app, false);
      other = await partner(app, false);
      pub = await partner(app, true);
      hooks = { mail: app.mail };
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    const info = (p: Partner | null): RequestInfo => ({ ip: '192.0.2.10', userAgent: 'Server/1', bearer: p ? p.secret : null });
    const lastOf = async (kind: string) => (await app.store.audit.list({ kind, limit: 1 }))[0]!;
    const person = () => createAccount(app.store, { email: `ma${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
    /** The body as the schema gives it (absent fields undefined). */
    const body = (b: Partial<CreateMagicAuth> & { email: string }): CreateMagicAuth => ({
      invitation_token: undefined,
      ip_address: undefined,
      user_agent: undefined,
      ...b,
    });
    const rowOf = (clientId: string, email: string) => `workos-magic:${createHash('sha256').update(`${clientId}\n${email}`).digest('base64url')}`;

    it('clientByApiKey: the confidential client of the key; none or a wrong one is 401 with the sentence', T, async () => {
      assert.equal((await clientByApiKey(app.deps, conf.secret, null)).clientId, conf.clientId);
      for (const bearer of [null, '', 'not-a-key']) {
        assert.deepEqual(await thrown(clientByApiKey(app.deps, bearer, '192.0.2.10')), [
          401,
          'invalid_client',
          'invalid_client',
          'Authenticate with the API key (Authorization: Bearer <client secret>).',
        ]);
      }
    });

    it("a machine client's key sends nobody a code: 401 with the sentence, and no code is requested", T, async () => {
      const user = await person();
      await createResource(app.store, { identifier: `https://stock-${db}.example`, scopes: ['stock:read'] }, Date.now());
      const { client, secret } = await registerMachineClient(app.store, { name: 'Stock sync', scopes: ['stock:read'] }, Date.now());
      const outbox = async () => (await app.store.audit.list({ kind: 'sign_in_code_requested', limit: 1000 })).length;
      const before = await outbox();
      const machine: RequestInfo = { ip: '192.0.2.77', userAgent: 'Server/1', bearer: secret };
      assert.deepEqual(await thrown(createMagicAuth(app.deps, hooks, body({ email: user.email }), machine)), [
        401,
        'invalid_client',
        'invalid_client',
        'A machine client signs nobody in: it gets its tokens with client_credentials at /oauth/token.',
      ]);
      assert.equal(await outbox(), before, 'no code requested');
      assert.equal(await app.store.settings.get(rowOf(client.clientId, user.email)), null);
      // Every route that takes the API key (sessions, mail, factors) asks the same function.
      assert.equal((await thrown(clientByApiKey(app.deps, secret, '192.0.2.77')))[0], 401);
    });

    it("createMagicAuth: the answer exactly, the partner's or the request's address and agent in the audit entry", T, async () => {
      const user = await person();
      const before = app.deps.now();
      const created = await createMagicAuth(
        app.deps,
        hooks,
        body({ email: ` ${user.email.toUpperCase()}`, ip_address: '203.0.113.50', user_agent: 'Browser/9' }),
        info(conf),
      );
      const after = app.deps.now();
      const at = Date.parse(created.created_at);
      assert.ok(at >= before && at <= after, created.created_at);
      assert.match(created.id, /^magic_auth_[0-9A-F]{26}$/);
      assert.deepEqual(created, {
        object: 'magic_auth',
        id: created.id,
        user_id: null,
        email: user.email,
        expires_at: new Date(at + 10 * 60_000).toISOString(),
        created_at: new Date(at).toISOString(),
        updated_at: new Date(at).toISOString(),
      });
      const entry = await lastOf('sign_in_code_requested');
      assert.deepEqual([entry.ip, entry.userAgent, entry.subjectId], ['203.0.113.50', 'Browser/9', user.id]);
      const second = await createMagicAuth(app.deps, hooks, body({ email: user.email }), info(conf));
      assert.notEqual(second.id, created.id);
      const own = await lastOf('sign_in_code_requested');
      assert.deepEqual([own.ip, own.userAgent], ['192.0.2.10', 'Server/1']);
    });

    it('the pending code is kept per client and email, under its key, until its ten minutes are over', T, async () => {
      const user = await person();
      const t0 = app.deps.now();
      await createMagicAuth(app.deps, hooks, body({ email: user.email }), info(conf));
      const t1 = app.deps.now();
      const row = rowOf(conf.clientId, user.email);
      const tokenId = await app.store.settings.get(row);
      assert.ok(tokenId);
      assert.equal(await app.store.settings.get(rowOf(other.clientId, user.email)), null);
      await app.store.settings.sweep(t0 + 10 * 60_000 - 1);
      assert.equal(await app.store.settings.get(row), tokenId);
      await app.store.settings.sweep(t1 + 10 * 60_000 + 1);
      assert.equal(await app.store.settings.get(row), null);
    });

    it('authenticateWithMagicAuth: the secret required, a code sent to this email for this client, any case, trimmed; audited', T, async () => {
      const user = await person();
      const grant = (p: Partner, email: string, code: string, extra: Record<string, string> = {}) =>
        authenticateWithMagicAuth(app.deps, hooks, { grant_type: MAGIC_AUTH, client_id: p.clientId, email, code, ...extra } as never, info(null));
      assert.deepEqual(await thrown(grant(pub, user.email, '123456')), [
        401,
        'invalid_client',
        'invalid_client',
        'This grant needs the client secret (the API key).',
      ]);
      const withSecret = (p: Partner, email: string, code: string, extra: Record<string, string> = {}) =>
        grant(p, email, code, { client_secret: p.secret!, ...extra });
      const noCode = [400, 'invalid_grant', 'code_expired', 'No sign-in code was sent to this email for this client, or it has expired. Ask for a new one.'];
      assert.deepEqual(await thrown(withSecret(conf, user.email, '123456')), noCode);
      await createMagicAuth(app.deps, hooks, body({ email: user.email }), info(conf));
      const code = mailedCode((await inbox.waitForTo(user.email, 1))[0]!.mail.text ?? '');
      assert.deepEqual(await thrown(withSecret(other, user.email, code)), noCode, "another client's code");
      const auth = (await withSecret(conf, `  ${user.email.toUpperCase()} `, ` ${code}  `, { ip_address: '203.0.113.60', user_agent: 'Browser/10' })) as {
        user: { id: string };
        authentication_method: string;
      };
      assert.deepEqual([auth.user.id, auth.authentication_method], [user.id, 'MagicAuth']);
      const entry = await lastOf('sign_in');
      assert.deepEqual(
        [entry.actorId, entry.subjectId, entry.ip, entry.userAgent, entry.data],
        [user.id, user.id, '203.0.113.60', 'Browser/10', { method: 'email_code', via: 'workos', clientId: conf.clientId }],
      );
      // Without the partner's, the request's own address and agent.
      await createMagicAuth(app.deps, hooks, body({ email: user.email }), info(conf));
      const next = mailedCode((await inbox.waitForTo(user.email, 2))[1]!.mail.text ?? '');
      await withSecret(conf, user.email, next);
      const own = await lastOf('sign_in');
      assert.deepEqual([own.ip, own.userAgent], ['192.0.2.10', 'Server/1']);
    });
  });
}
