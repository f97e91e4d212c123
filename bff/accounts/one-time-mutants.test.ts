/**
 * One-time links and codes (one-time.ts), where mutation testing (docs/mutation.md)
 * asks for the edges: the SHA-256 that names a token, the 15-minute request window
 * and its per-address limit from both sides (with the exact Retry-After), the
 * email's count coming back for the caller, a token's stored row field by field,
 * the newest link replacing earlier ones only when asked and only for a user, a
 * link's secret length limits and liveness boundary, and a typed code's five
 * tries with their exact sentences. Pure module calls against a real store
 * (a SQLite file and a PostgreSQL schema), no app boot.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { AppError } from '../http/errors.ts';
import { admitMailRequest, codeHashFor, issueToken, liveToken, MAX_CODE_TRIES, redeemCode, sha256 } from './one-time.ts';

const WINDOW = 15 * 60_000;
const T0 = 1_800_000_000_000;

/** A migrated store on a temp SQLite file or a temp PostgreSQL schema, and how to drop it. */
/** What a call threw (an AppError's code, status, message, fields, retryAfter), or 'none'. */
async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof AppError)) return `not an AppError: ${String(e)}`;
    return { code: e.code, status: e.status, message: e.message, fields: e.fields, retryAfter: e.retryAfter };
  }
}

class Expired extends Error {}
const expired = () => new Expired('expired');
async function isExpired(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    return e instanceof Expired;
  }
}

/**
 * The real store, with another request's step run just before one of its token calls: a race made
 * deterministic (the other request wins between redeemCode's read and its write).
 */
function otherRequestFirst(store: Store, method: 'countAttempt' | 'consume', other: () => Promise<unknown>): Store {
  const tokens = new Proxy(store.oneTimeTokens, {
    get(target, key) {
      const v = Reflect.get(target, key) as unknown;
      if (typeof v !== 'function') return v;
      const f = v.bind(target) as (...args: unknown[]) => Promise<unknown>;
      return key === method ? async (...args: unknown[]) => (await other(), f(...args)) : f;
    },
  });
  return new Proxy(store, { get: (target, key) => (key === 'oneTimeTokens' ? tokens : Reflect.get(target, key)) });
}

describe('one-time: pure parts', () => {
  it('sha256 is the hex SHA-256 of the UTF-8 text', () => {
    assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256('é'), createHash('sha256').update(Buffer.from('c3a9', 'hex')).digest('hex'));
  });
  it('a code hash is the SHA-256 of "<token id>:<code>"', () => {
    assert.equal(codeHashFor('tok', '012345'), sha256('tok:012345'));
    assert.equal(MAX_CODE_TRIES, 5);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`one-time tokens (${db})`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    before(async () => ({ store, drop } = await tempStore(db)));
    after(() => drop());

    const admit = (enabled: boolean, now: number, email: string, ip: string | null, scope: string, perIp = 2) =>
      admitMailRequest({ store, mail: { enabled }, now: () => now }, email, ip, { scope, perIp, tooMany: `Too many for ${scope}.` });

    it('refuses when mail is off (503) before looking at the email', async () => {
      assert.deepEqual(await thrown(admit(false, T0, 'not an email', '10.0.0.1', 'off')), {
        code: 'mail_disabled',
        status: 503,
        message: 'This portal cannot send mail (no SMTP_URL is configured). Ask an administrator.',
        fields: undefined,
        retryAfter: undefined,
      });
      assert.equal(await store.throttle.peek('off-ip:10.0.0.1', T0), null);
    });

    it('refuses a malformed email with 400 naming the field, counting nothing', async () => {
      assert.deepEqual(await thrown(admit(true, T0, 'not an email', '10.0.0.2', 'bad')), {
        code: 'invalid_email',
        status: 400,
        message: 'That is not a valid email address.',
        fields: { email: 'That is not a valid email address.' },
        retryAfter: undefined,
      });
      assert.equal(await store.throttle.peek('bad-ip:10.0.0.2', T0), null);
    });

    it('counts the address and the hashed email in 15-minute windows and returns the normalised email and its count', async () => {
      const first = await admit(true, T0, '  Ann@Example.COM ', '10.0.0.3', 'win');
      assert.deepEqual(first, { email: 'ann@example.com', now: T0, emailCount: 1 });
      assert.deepEqual(await store.throttle.peek('win-ip:10.0.0.3', T0), { count: 1, resetAt: T0 + WINDOW });
      assert.deepEqual(await store.throttle.peek(`win-email:${sha256('ann@example.com')}`, T0), { count: 1, resetAt: T0 + WINDOW });
      // Another address, same email: the email's count goes on.
      assert.deepEqual(await admit(true, T0 + 1000, 'ann@example.com', '10.0.0.4', 'win'), { email: 'ann@example.com', now: T0 + 1000, emailCount: 2 });
    });

    it('without an address counts only the email', async () => {
      assert.deepEqual(await admit(true, T0, 'bo@example.com', null, 'noip', 0), { email: 'bo@example.com', now: T0, emailCount: 1 });
      assert.equal(await store.throttle.peek('noip-ip:null', T0), null);
      assert.deepEqual(await admit(true, T0, 'bo@example.com', '', 'noip', 0), { email: 'bo@example.com', now: T0, emailCount: 2 });
      assert.equal(await store.throttle.peek('noip-ip:', T0), null);
    });

    it('refuses the address past perIp with 429 and the seconds left in its window', async () => {
      await admit(true, T0, 'a1@example.com', '10.0.0.5', 'lim');
      await admit(true, T0, 'a2@example.com', '10.0.0.5', 'lim');
      // The third in the window is past perIp = 2; 1.5 s before the window ends: Retry-After 2.
      const late = T0 + WINDOW - 1500;
      assert.deepEqual(await thrown(admit(true, late, 'a3@example.com', '10.0.0.5', 'lim')), {
        code: 'too_many_attempts',
        status: 429,
        message: 'Too many for lim.',
        fields: undefined,
        retryAfter: 2,
      });
      // The refused request did not count the email.
      assert.equal(await store.throttle.peek(`lim-email:${sha256('a3@example.com')}`, late), null);
      // Early in the window: the whole 15 minutes.
      await admit(true, T0, 'b1@example.com', '10.0.0.6', 'lim2', 0).catch(() => {});
      assert.deepEqual(await thrown(admit(true, T0, 'b2@example.com', '10.0.0.6', 'lim2', 0)), {
        code: 'too_many_attempts',
        status: 429,
        message: 'Too many for lim2.',
        fields: undefined,
        retryAfter: 900,
      });
      // 200 ms before the end: at least one second.
      assert.equal(((await thrown(admit(true, T0 + WINDOW - 200, 'b3@example.com', '10.0.0.6', 'lim2', 0))) as { retryAfter: number }).retryAfter, 1);
    });

    it('issues a link secret (32 random bytes) stored only as its hash, field by field', async () => {
      const t = await issueToken(store, { purpose: 'p-row', userId: 'u-row', email: 'row@example.com', ttlMs: 60_000, data: { next: '/x' } }, T0);
      assert.match(t.secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(t.code, null);
      assert.equal(t.expiresAt, T0 + 60_000);
      assert.deepEqual(await store.oneTimeTokens.find(sha256(t.secret)), {
        id: sha256(t.secret),
        purpose: 'p-row',
        userId: 'u-row',
        email: 'row@example.com',
        codeHash: null,
        attempts: 0,
        createdAt: T0,
        expiresAt: T0 + 60_000,
        consumedAt: null,
        data: { next: '/x' },
      });
      const bare = await issueToken(store, { purpose: 'p-row', userId: null, email: 'row@example.com', ttlMs: 1000 }, T0);
      assert.deepEqual((await store.oneTimeTokens.find(sha256(bare.secret)))!.data, {});
      assert.notEqual(bare.secret, t.secret);
    });

    it('a code is six digits (zero-padded) whose hash is stored with the token', async () => {
      // 60 codes: a code below 100000 (one in ten) shows the padding.
      const codes: string[] = [];
      for (let i = 0; i < 60; i++) {
        const t = await issueToken(store, { purpose: 'p-code', userId: null, email: 'c@example.com', ttlMs: 1000, withCode: true }, T0);
        assert.match(t.code!, /^\d{6}$/);
        assert.equal((await store.oneTimeTokens.find(sha256(t.secret)))!.codeHash, codeHashFor(sha256(t.secret), t.code!));
        codes.push(t.code!);
      }
      assert.ok(new Set(codes).size > 50, 'codes are random');
    });

    it('replacePrevious ends the user’s earlier live tokens of that purpose, and only then', async () => {
      const o = { purpose: 'p-rep', userId: 'u-rep', email: 'rep@example.com', ttlMs: 60_000 };
      const a = await issueToken(store, o, T0);
      const other = await issueToken(store, { ...o, purpose: 'p-other' }, T0);
      const b = await issueToken(store, o, T0 + 1);
      assert.equal((await store.oneTimeTokens.find(sha256(a.secret)))!.consumedAt, null, 'kept without replacePrevious');
      const c = await issueToken(store, { ...o, replacePrevious: true }, T0 + 2);
      assert.equal((await store.oneTimeTokens.find(sha256(a.secret)))!.consumedAt, T0 + 2);
      assert.equal((await store.oneTimeTokens.find(sha256(b.secret)))!.consumedAt, T0 + 2);
      assert.equal((await store.oneTimeTokens.find(sha256(c.secret)))!.consumedAt, null);
      assert.equal((await store.oneTimeTokens.find(sha256(other.secret)))!.consumedAt, null);
    });

    describe('liveToken', () => {
      const make = async (secret: string, purpose = 'p-live', expiresAt = T0 + 10_000) =>
        store.oneTimeTokens.create({ id: sha256(secret), purpose, userId: null, email: 'l@example.com', codeHash: null, createdAt: T0, expiresAt, data: {} });

      it('takes secrets of 20 to 100 characters only', async () => {
        for (const n of [19, 20, 100, 101]) await make('s'.repeat(n));
        assert.equal(await liveToken(store, 's'.repeat(19), 'p-live', T0), null);
        assert.equal((await liveToken(store, 's'.repeat(20), 'p-live', T0))?.id, sha256('s'.repeat(20)));
        assert.equal((await liveToken(store, 's'.repeat(100), 'p-live', T0))?.id, sha256('s'.repeat(100)));
        assert.equal(await liveToken(store, 's'.repeat(101), 'p-live', T0), null);
        assert.equal(await liveToken(store, 42 as unknown as string, 'p-live', T0), null);
        assert.equal(await liveToken(store, 'u'.repeat(30), 'p-live', T0), null, 'unknown');
      });

      it('is null for another purpose, a used token, and from its expiry on', async () => {
        await make('e'.repeat(30));
        assert.equal((await liveToken(store, 'e'.repeat(30), 'p-live', T0 + 9_999))?.id, sha256('e'.repeat(30)));
        assert.equal(await liveToken(store, 'e'.repeat(30), 'p-live', T0 + 10_000), null);
        assert.equal(await liveToken(store, 'e'.repeat(30), 'p-other', T0), null);
        await store.oneTimeTokens.consume(sha256('e'.repeat(30)), 'p-live', T0 + 5);
        assert.equal(await liveToken(store, 'e'.repeat(30), 'p-live', T0 + 6), null);
      });
    });

    describe('redeemCode', () => {
      const withCode = async (purpose = 'p-red') => {
        const t = await issueToken(store, { purpose, userId: 'u-red', email: 'red@example.com', ttlMs: 10_000, withCode: true }, T0);
        return { id: sha256(t.secret), code: t.code! };
      };
      const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

      it('consumes the token for the right code, once', async () => {
        const t = await withCode();
        const got = await redeemCode(store, t.id, 'p-red', t.code, T0 + 100, expired);
        assert.equal(got.id, t.id);
        assert.equal(got.consumedAt, T0 + 100);
        assert.ok(await isExpired(redeemCode(store, t.id, 'p-red', t.code, T0 + 101, expired)));
      });

      it('is expired for an unknown token, another purpose, and from the expiry on', async () => {
        const t = await withCode();
        assert.ok(await isExpired(redeemCode(store, sha256('nothing'), 'p-red', t.code, T0, expired)));
        assert.ok(await isExpired(redeemCode(store, t.id, 'p-other', t.code, T0, expired)));
        assert.ok(await isExpired(redeemCode(store, t.id, 'p-red', t.code, T0 + 10_000, expired)));
        assert.equal((await redeemCode(store, t.id, 'p-red', t.code, T0 + 9_999, expired)).id, t.id);
      });

      it('counts wrong codes with the tries left, and the fifth ends the token', async () => {
        const t = await withCode();
        const left = ['4 tries left', '3 tries left', '2 tries left', '1 try left'];
        for (const [i, l] of left.entries()) {
          assert.deepEqual(await thrown(redeemCode(store, t.id, 'p-red', i % 2 ? 'abcdef' : wrong(t.code), T0, expired)), {
            code: 'invalid_code',
            status: 400,
            message: `That code is not right. ${l}.`,
            fields: { code: 'That code is not right.' },
            retryAfter: undefined,
          });
        }
        assert.equal((await store.oneTimeTokens.find(t.id))!.attempts, 4);
        assert.ok(await isExpired(redeemCode(store, t.id, 'p-red', wrong(t.code), T0, expired)));
        assert.equal((await store.oneTimeTokens.find(t.id))!.consumedAt, T0);
        assert.ok(await isExpired(redeemCode(store, t.id, 'p-red', t.code, T0, expired)), 'the right code comes too late');
      });

      it('a code that is not six digits is wrong even when its digits are right', async () => {
        const t = await withCode();
        assert.equal(((await thrown(redeemCode(store, t.id, 'p-red', ` ${t.code}`, T0, expired))) as { code: string }).code, 'invalid_code');
        assert.equal(((await thrown(redeemCode(store, t.id, 'p-red', `${t.code}\n`, T0, expired))) as { code: string }).code, 'invalid_code');
        assert.equal((await store.oneTimeTokens.find(t.id))!.attempts, 2);
        assert.equal((await redeemCode(store, t.id, 'p-red', t.code, T0, expired)).id, t.id);
      });

      it('a wrong code against a token of another purpose is expired and counts nothing', async () => {
        const t = await withCode('p-red-other');
        assert.ok(await isExpired(redeemCode(store, t.id, 'p-red', wrong(t.code), T0, expired)));
        assert.equal((await store.oneTimeTokens.find(t.id))!.attempts, 0);
      });

      it('two redemptions of one code at once: one gets the token, the other is expired', async () => {
        const t = await withCode();
        const results = await Promise.allSettled([
          redeemCode(store, t.id, 'p-red', t.code, T0, expired),
          redeemCode(store, t.id, 'p-red', t.code, T0, expired),
        ]);
        assert.deepEqual(
          results.map((r) => (r.status === 'fulfilled' ? `token ${r.value?.id === t.id}` : r.reason instanceof Expired ? 'expired' : String(r.reason))).sort(),
          ['expired', 'token true'],
        );
      });

      it('a wrong code whose token another request used meanwhile is expired, not counted as a try', async () => {
        const t = await withCode();
        const raced = otherRequestFirst(store, 'countAttempt', () => store.oneTimeTokens.consume(t.id, 'p-red', T0));
        assert.ok(await isExpired(redeemCode(raced, t.id, 'p-red', wrong(t.code), T0 + 1, expired)));
        assert.deepEqual([(await store.oneTimeTokens.find(t.id))!.attempts, (await store.oneTimeTokens.find(t.id))!.consumedAt], [0, T0]);
      });

      it('the right code whose token another request used meanwhile is expired, not the token', async () => {
        const t = await withCode();
        const raced = otherRequestFirst(store, 'consume', () => store.oneTimeTokens.consume(t.id, 'p-red', T0));
        assert.ok(await isExpired(redeemCode(raced, t.id, 'p-red', t.code, T0 + 1, expired)));
      });

      it('a token without a code takes none', async () => {
        const t = await issueToken(store, { purpose: 'p-red', userId: null, email: 'n@example.com', ttlMs: 10_000 }, T0);
        assert.deepEqual(await thrown(redeemCode(store, sha256(t.secret), 'p-red', '000000', T0, expired)), {
          code: 'invalid_code',
          status: 400,
          message: 'That code is not right. 4 tries left.',
          fields: { code: 'That code is not right.' },
          retryAfter: undefined,
        });
      });
    });
  });
}
