/**
 * Invitations (invitations.ts) called as a module, where mutation testing
 * (docs/mutation.md) asks for the edges: the invited account made once (no
 * password, unverified, its name kept) and reused by a second invitation, an
 * account with a password refused with its exact sentence, the link's form, its
 * 7 days and the token row behind it, each reason a link is refused (410, exact
 * body), and accepting: the weak-password answer that keeps the link, the
 * password set and the email proven, the link spent, the audit entry field by
 * field. Real store (a SQLite file and a PostgreSQL schema) and audit chain; no app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.ts';
import { TEST_SECRETS_ENV } from '../testing/test-app.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { createAudit, type Audit } from '../audit/audit.ts';
import { AppError } from '../http/errors.ts';
import { verifyPassword } from './passwords.ts';
import { sha256 } from './one-time.ts';
import { INVITE_PURPOSE, INVITE_TTL_MS, acceptInvitation, checkInvitation, inviteUser } from './invitations.ts';

const PUBLIC_URL = 'https://portal.example.test';
const INVALID = 'This invitation link has expired or was already used. Ask whoever invited you for a new one.';
const GOOD = 'a brand new long passphrase 2';
const gone = { code: 'invitation_invalid', status: 410, message: INVALID, fields: undefined };

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof AppError)) return `not an AppError: ${String(e)}`;
    return { code: e.code, status: e.status, message: e.message, fields: e.fields };
  }
}

const secretOf = (link: string) => {
  const m = /^https:\/\/portal\.example\.test\/accept-invite#token=([A-Za-z0-9_-]{43})$/.exec(link);
  if (!m) throw new Error(`not an invitation link: ${link}`);
  return m[1]!;
};

describe('invitation constants', () => {
  it('a link lasts 7 days, under its own purpose', () => {
    assert.equal(INVITE_TTL_MS, 7 * 24 * 3600_000);
    assert.equal(INVITE_PURPOSE, 'invitation');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`invitations as a module (${db})`, { timeout: 60_000 }, () => {
    let store: Store;
    let drop: () => Promise<void>;
    let audit: Audit;
    let config: Config;
    const base = Date.now();
    const now = () => base;
    let n = 0;
    const email = () => `invited-${++n}@example.com`;

    before(async () => {
      ({ store, drop } = await tempStore(db));
      config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL, DATABASE_URL: 'sqlite::memory:', ...TEST_SECRETS_ENV, LOG_LEVEL: 'silent' });
      audit = createAudit(store, now, config.auditKeys);
    });
    after(() => drop());

    it('makes the account once (no password, unverified, named) and a 7-day link; a second invitation reuses it and ends the first link', async () => {
      const address = email();
      const first = await inviteUser({ store, config }, `  ${address.toUpperCase()} `, 'Ivy', now());
      assert.deepEqual(
        {
          email: first.user.email,
          name: first.user.name,
          passwordHash: first.user.passwordHash,
          emailVerified: first.user.emailVerified,
          role: first.user.role,
        },
        { email: address, name: 'Ivy', passwordHash: null, emailVerified: false, role: 'user' },
      );
      assert.equal(first.expiresAt, now() + INVITE_TTL_MS);
      const s1 = secretOf(first.link);
      const t = await store.oneTimeTokens.find(sha256(s1));
      assert.deepEqual(
        { purpose: t!.purpose, userId: t!.userId, email: t!.email, codeHash: t!.codeHash, expiresAt: t!.expiresAt, consumedAt: t!.consumedAt },
        { purpose: 'invitation', userId: first.user.id, email: address, codeHash: null, expiresAt: now() + INVITE_TTL_MS, consumedAt: null },
      );
      assert.equal((await checkInvitation(store, s1, now())).id, first.user.id);

      const second = await inviteUser({ store, config }, address, 'Other name', now() + 1);
      assert.equal(second.user.id, first.user.id);
      assert.equal(second.user.name, 'Ivy');
      assert.deepEqual(await thrown(checkInvitation(store, s1, now() + 2)), gone);
      assert.equal((await checkInvitation(store, secretOf(second.link), now() + 2)).id, first.user.id);
    });

    it('refuses an account that already has a password, naming it', async () => {
      const address = email();
      const invited = await inviteUser({ store, config }, address, undefined, now());
      await store.users.setPasswordHash(invited.user.id, 'x', now());
      assert.deepEqual(await thrown(inviteUser({ store, config }, address, undefined, now())), {
        code: 'already_registered',
        status: 400,
        message: `${address} already has a password; send a reset link instead (portal user reset-link).`,
        fields: undefined,
      });
    });

    it('a link is refused (410) when unknown, expired, of another purpose, without an account, or of a disabled one', async () => {
      const invited = await inviteUser({ store, config }, email(), undefined, now());
      const s = secretOf(invited.link);
      assert.deepEqual(await thrown(checkInvitation(store, 'x'.repeat(43), now())), gone);
      assert.equal((await checkInvitation(store, s, now() + INVITE_TTL_MS - 1)).id, invited.user.id);
      assert.deepEqual(await thrown(checkInvitation(store, s, now() + INVITE_TTL_MS)), gone);
      const mk = (secret: string, purpose: string, userId: string | null) =>
        store.oneTimeTokens.create({
          id: sha256(secret),
          purpose,
          userId,
          email: 'x@example.com',
          codeHash: null,
          createdAt: now(),
          expiresAt: now() + 1000,
          data: {},
        });
      await mk('p'.repeat(43), 'password_reset', invited.user.id);
      assert.deepEqual(await thrown(checkInvitation(store, 'p'.repeat(43), now())), gone);
      await mk('q'.repeat(43), INVITE_PURPOSE, null);
      assert.deepEqual(await thrown(checkInvitation(store, 'q'.repeat(43), now())), gone);
      await mk('r'.repeat(43), INVITE_PURPOSE, 'u-missing');
      assert.deepEqual(await thrown(checkInvitation(store, 'r'.repeat(43), now())), gone);
      await store.users.setDisabled(invited.user.id, true, now());
      assert.deepEqual(await thrown(checkInvitation(store, s, now())), gone);
      assert.deepEqual(await thrown(acceptInvitation({ store, audit, now }, s, GOOD, { ip: null, userAgent: null })), gone);
    });

    it('accepting: a weak password keeps the link; then the password is set, the email proven, the link spent, audited', async () => {
      const invited = await inviteUser({ store, config }, email(), 'Acc', now());
      const s = secretOf(invited.link);
      const d = { store, audit, now };
      const weak = 'The password must be at least 12 characters long.';
      assert.deepEqual(await thrown(acceptInvitation(d, s, 'short', { ip: null, userAgent: null })), {
        code: 'weak_password',
        status: 400,
        message: weak,
        fields: { password: weak },
      });
      assert.equal(
        ((await thrown(acceptInvitation(d, s, `x ${invited.user.email} y`, { ip: null, userAgent: null }))) as { message: string }).message,
        'The password must not contain your email address.',
      );
      const user = await acceptInvitation(d, s, GOOD, { ip: '10.7.0.1', userAgent: 'ua-inv' });
      assert.equal(user.id, invited.user.id);
      const after = (await store.users.findById(user.id))!;
      assert.equal(after.emailVerified, true);
      assert.equal(await verifyPassword(after.passwordHash!, GOOD), true);
      assert.equal((await store.oneTimeTokens.find(sha256(s)))!.consumedAt, now());
      const [e] = await store.audit.list({ kind: 'invitation_accepted', limit: 1 });
      assert.deepEqual(
        { actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { actorId: user.id, subjectId: user.id, ip: '10.7.0.1', userAgent: 'ua-inv', data: {} },
      );
      assert.deepEqual(await thrown(acceptInvitation(d, s, GOOD, { ip: null, userAgent: null })), gone);
    });

    it('a link used by another request between the check and the transaction: refused with its code, no password set', async () => {
      const invited = await inviteUser({ store, config }, email(), undefined, now());
      const s = secretOf(invited.link);
      // The real store; another acceptance spends the link just before this one's transaction (a race made deterministic).
      const raced = new Proxy(store, {
        get(target, key) {
          const v = Reflect.get(target, key) as unknown;
          if (key !== 'transaction' || typeof v !== 'function') return v;
          return async (...args: unknown[]) => {
            assert.ok(await store.oneTimeTokens.consume(sha256(s), INVITE_PURPOSE, now()), 'the other request spends the link');
            return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
        },
      });
      assert.deepEqual(await thrown(acceptInvitation({ store: raced, audit, now }, s, GOOD, { ip: null, userAgent: null })), gone);
      assert.equal((await store.users.findById(invited.user.id))!.passwordHash, null);
      assert.equal((await store.audit.list({ kind: 'invitation_accepted', userId: invited.user.id })).length, 0);
    });

    it('two acceptances of one link at once: one sets the password, the other is refused', async () => {
      const invited = await inviteUser({ store, config }, email(), undefined, now());
      const s = secretOf(invited.link);
      const results = await Promise.allSettled(
        [GOOD, `${GOOD} other`].map((p) => acceptInvitation({ store, audit, now }, s, p, { ip: null, userAgent: null })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(refused.reason instanceof AppError && refused.reason.code === 'invitation_invalid');
      assert.equal((await store.audit.list({ kind: 'invitation_accepted', userId: invited.user.id })).length, 1);
    });
  });
}
