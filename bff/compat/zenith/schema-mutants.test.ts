/**
 * Zenith's pure parts, pinned exactly without booting the portal, so that
 * mutation testing (docs/mutation.md) kills their mutants in a second:
 * the wire format (schema.ts: the constants, TransactionID's range, what an
 * error may echo, each container field's limit and message, the AuthToken and
 * AuthCode Data limits, AuthGrant's `code=…&code_verifier=…` form and the
 * RFC 7636 verifier alphabet and length, the Base-64 rule of AccessToken, the
 * `version` parameter), the replies (map.ts: the identity Data with and
 * without its token, the Auth reply and error container, every message text),
 * and the heartbeat wheel (heartbeat.ts: sockets dealt to slots in turn, each
 * visited, removal, `all()`, stopping, and never holding the process open).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  authCodeData,
  authGrant,
  authTokenData,
  container,
  decodeAccessToken,
  echoOf,
  isTransactionId,
  MAX_PAYLOAD,
  MAX_TRANSACTION_ID,
  parseVersion,
  PATH,
  SUBPROTOCOL,
} from './schema.ts';
import { authReply, errorReply, IDENTIFY, identityData, MESSAGES, REJECT } from './map.ts';
import { createHeartbeat, type Beating } from './heartbeat.ts';
import type { Identity } from './auth.ts';

const s = (n: number, c = 'a') => c.repeat(n);

/** The zod issue messages of a failed parse (none when it succeeded). */
function problems(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ message: string; path: PropertyKey[] }> } } }, v: unknown) {
  const r = schema.safeParse(v);
  return r.success ? [] : r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('Zenith wire format (schema.ts)', () => {
  it('the constants', () => {
    assert.equal(SUBPROTOCOL, 'ZenithJson');
    assert.equal(PATH, '/Zenith');
    assert.equal(MAX_PAYLOAD, 65536);
    assert.equal(MAX_TRANSACTION_ID, 2147483647);
  });

  it('a TransactionID is a safe integer from 0 to 2^31-1', () => {
    for (const v of [0, 1, 7, MAX_TRANSACTION_ID]) assert.equal(isTransactionId(v), true, String(v));
    for (const v of [-1, 1.5, MAX_TRANSACTION_ID + 1, 2 ** 53, NaN, Infinity, '1', null, undefined]) assert.equal(isTransactionId(v), false, String(v));
  });

  it('an error echoes short strings and a valid TransactionID only', () => {
    assert.deepEqual(echoOf({ Controller: s(64), Topic: s(128), TransactionID: 5 }), { Controller: s(64), Topic: s(128), TransactionID: 5 });
    assert.deepEqual(echoOf({ Controller: s(65), Topic: s(129), TransactionID: -1 }), {});
    assert.deepEqual(echoOf({ Controller: 1, Topic: ['x'], TransactionID: '5' }), {});
    assert.deepEqual(echoOf({ Controller: '', Topic: '' }), { Controller: '', Topic: '' });
    assert.deepEqual(echoOf({ TransactionID: 0 }), { TransactionID: 0 });
    assert.deepEqual(echoOf({}), {});
  });

  it('the container: each field’s limit and message', () => {
    const ok = { Controller: 'Auth', Topic: 'AuthToken' };
    assert.deepEqual(container.parse(ok), ok);
    const full = { Controller: s(64), Topic: s(128), TransactionID: MAX_TRANSACTION_ID, Action: s(32), Data: { x: [1] } };
    assert.deepEqual(container.parse(full), full);
    assert.deepEqual(container.parse({ ...ok, TransactionID: 0 }), { ...ok, TransactionID: 0 });
    assert.deepEqual(problems(container, { Topic: 'T' }), ['Controller: Controller is required']);
    assert.deepEqual(problems(container, { Controller: '', Topic: 'T' }), ['Controller: Controller is required']);
    assert.deepEqual(problems(container, { Controller: s(65), Topic: 'T' }), ['Controller: Controller is too long']);
    assert.deepEqual(problems(container, { Controller: 'C' }), ['Topic: Topic is required']);
    assert.deepEqual(problems(container, { Controller: 'C', Topic: '' }), ['Topic: Topic is required']);
    assert.deepEqual(problems(container, { Controller: 'C', Topic: s(129) }), ['Topic: Topic is too long']);
    assert.deepEqual(problems(container, { ...ok, TransactionID: 'x' }), ['TransactionID: TransactionID must be an integer']);
    for (const t of [-1, 1.5, MAX_TRANSACTION_ID + 1])
      assert.deepEqual(problems(container, { ...ok, TransactionID: t }), ['TransactionID: TransactionID must be an integer from 0 to 2147483647'], String(t));
    assert.equal(problems(container, { ...ok, Action: s(33) }).length, 1);
    assert.equal(problems(container, { ...ok, Action: 1 }).length, 1);
  });

  it('AuthToken Data: Provider 1 to 64 characters, AccessToken 1 to 16384', () => {
    const ok = { Provider: s(64), AccessToken: s(16384) };
    assert.deepEqual(authTokenData.parse(ok), ok);
    assert.deepEqual(authTokenData.parse({ Provider: 'B', AccessToken: 't' }), { Provider: 'B', AccessToken: 't' });
    assert.deepEqual(
      [
        { Provider: '', AccessToken: 't' },
        { Provider: s(65), AccessToken: 't' },
        { Provider: 'B', AccessToken: '' },
        { Provider: 'B', AccessToken: s(16385) },
      ].map((d) => problems(authTokenData, d).length),
      [1, 1, 1, 1],
    );
  });

  it('AuthGrant: a bare code, or code and code_verifier form-encoded, each once', () => {
    const v43 = s(43, 'v');
    assert.deepEqual(authGrant.parse('abc'), { code: 'abc' });
    assert.deepEqual(authGrant.parse(s(2048)), { code: s(2048) });
    assert.deepEqual(authGrant.parse('code=abc'), { code: 'abc' });
    assert.deepEqual(authGrant.parse(`code=abc&code_verifier=${v43}`), { code: 'abc', codeVerifier: v43 });
    assert.deepEqual(authGrant.parse(`code_verifier=${v43}&code=a%2Bb`), { code: 'a+b', codeVerifier: v43 });
    assert.equal(problems(authGrant, '').length, 1);
    assert.equal(problems(authGrant, s(2049)).length, 1);
    const form = 'must be a code, or code=…&code_verifier=… with each once';
    for (const bad of [
      'code=',
      `code_verifier=${v43}`,
      `code=&code_verifier=${v43}`,
      'code=a&code=b',
      `code=a&code_verifier=${v43}&code_verifier=${v43}`,
      'code=a&x=1',
      'x=1&code=a',
      'a=b',
    ])
      assert.deepEqual(problems(authGrant, bad), [`: ${form}`], bad);
  });

  it('AuthGrant: code_verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)', () => {
    const verifierMessage = [': code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~'];
    const good = [
      s(43, 'A'),
      s(128, 'Z'),
      s(43, 'a'),
      s(43, 'z'),
      s(43, '0'),
      s(43, '9'),
      s(43, '-'),
      s(43, '.'),
      s(43, '_'),
      s(43, '~'),
      s(43, 'M'),
      s(43, 'm'),
      s(43, '5'),
    ];
    for (const v of good) assert.deepEqual(authGrant.parse(`code=c&code_verifier=${encodeURIComponent(v)}`), { code: 'c', codeVerifier: v }, v);
    const bad = [
      s(42, 'A'),
      s(129, 'A'),
      '',
      `${s(43, 'A')}!`,
      `!${s(43, 'A')}`,
      `${s(21, 'A')} ${s(21, 'A')}`,
      s(43, '+'),
      s(43, '/'),
      s(43, '@'),
      s(43, '['),
      s(43, '`'),
      s(43, '{'),
      s(43, ':'),
    ];
    for (const v of bad) assert.deepEqual(problems(authGrant, `code=c&code_verifier=${encodeURIComponent(v)}`), verifierMessage, v);
  });

  it('AuthCode Data: each field’s limit; ClientSecret and Scope may be absent or null', () => {
    const ok = { Provider: s(64), ClientID: s(200), ClientSecret: s(1024), AuthGrant: 'c', Scope: Array.from({ length: 50 }, () => s(200)) };
    assert.deepEqual(authCodeData.parse(ok), { ...ok, AuthGrant: { code: 'c' } });
    const min = { Provider: 'P', ClientID: 'C', AuthGrant: 'c' };
    assert.deepEqual(authCodeData.parse(min), { ...min, AuthGrant: { code: 'c' } });
    assert.deepEqual(authCodeData.parse({ ...min, ClientSecret: null, Scope: null }), { ...min, ClientSecret: null, Scope: null, AuthGrant: { code: 'c' } });
    assert.deepEqual(authCodeData.parse({ ...min, ClientSecret: '', Scope: [] }), { ...min, ClientSecret: '', Scope: [], AuthGrant: { code: 'c' } });
    const bad = [
      { ...min, Provider: '' },
      { ...min, Provider: s(65) },
      { ...min, ClientID: '' },
      { ...min, ClientID: s(201) },
      { ...min, ClientSecret: s(1025) },
      { ...min, Scope: [s(201)] },
      { ...min, Scope: Array.from({ length: 51 }, () => 'x') },
      { ...min, AuthGrant: '' },
    ];
    assert.deepEqual(
      bad.map((d) => problems(authCodeData, d).length),
      bad.map(() => 1),
    );
  });

  it('AccessToken: valid Base-64 is decoded (latin1), anything else is the raw text, trimmed', () => {
    const b64 = (t: string) => Buffer.from(t, 'base64').toString('latin1');
    assert.equal(decodeAccessToken('QUJD'), 'ABC');
    assert.equal(decodeAccessToken('  QUJD\n'), 'ABC');
    assert.equal(decodeAccessToken('/w=='), '\u00ff');
    for (const v of ['AZaz', '09+/', 'MNmn', 'QUJDRA==', 'QUJDREU=', 'QUJDQUJD', 'QUJDQUJDQUJD', 'QQ==', 'QUI=']) assert.equal(decodeAccessToken(v), b64(v), v);
    for (const v of ['x', 'abc', 'ab=', 'a===', 'QUJD=', 'QUJDR===', 'QQ==QUJD', '*QUJD', 'QUJD*', 'QU-D', 'QU_D', 'QU.D', 'a.b.c', 'QUJDQ', 'QUJDQUJDQ'])
      assert.equal(decodeAccessToken(v), v, v);
    assert.equal(decodeAccessToken(' x '), 'x');
    assert.equal(decodeAccessToken(''), '');
    assert.equal(decodeAccessToken('   '), '');
  });

  it('version: absent or empty is 1.1 answering Identify; 2 and later echo the topic; anything else is refused', () => {
    assert.deepEqual(parseVersion(null), { label: '1.1', echoTopic: false });
    assert.deepEqual(parseVersion(''), { label: '1.1', echoTopic: false });
    assert.deepEqual(parseVersion('1.1'), { label: '1.1', echoTopic: false });
    assert.deepEqual(parseVersion('1'), { label: '1', echoTopic: false });
    assert.deepEqual(parseVersion('1.999'), { label: '1.999', echoTopic: false });
    assert.deepEqual(parseVersion('0.5'), { label: '0.5', echoTopic: false });
    assert.deepEqual(parseVersion('2'), { label: '2', echoTopic: true });
    assert.deepEqual(parseVersion('2.0'), { label: '2.0', echoTopic: true });
    assert.deepEqual(parseVersion('999.999'), { label: '999.999', echoTopic: true });
    assert.deepEqual(parseVersion('10'), { label: '10', echoTopic: true });
    for (const v of ['1000', '1.1000', 'a', 'v1.1', '1.1a', ' 1.1', '1.', '.1', '1.1.1', '1,1', 'x.1', '1.x', '٢']) assert.equal(parseVersion(v), null, v);
  });
});

const identity: Identity = {
  token: 'h\u00e9llo.jwt',
  userId: 'u1',
  displayName: 'Zed',
  clientId: 'c1',
  grantId: 'g1',
  scope: ['openid', 'email'],
  exp: 1_800_000_000,
};

describe('Zenith replies (map.ts)', () => {
  it('the identity Data: the token (Base-64 of its latin1 bytes) only when asked for and not withheld', () => {
    const base = { Result: 'Success', DisplayName: 'Zed', UserID: 'u1', ExpiryDate: '2027-01-15T08:00:00.000Z', Scope: ['openid', 'email'] };
    assert.deepEqual(identityData(identity, true), { ...base, AccessToken: Buffer.from('h\u00e9llo.jwt', 'latin1').toString('base64') });
    assert.equal(identityData(identity, true).AccessToken, 'aOlsbG8uand0');
    assert.deepEqual(identityData(identity, false), base);
    assert.deepEqual(identityData({ ...identity, tokenWithheld: true }, true), base);
    assert.deepEqual(identityData({ ...identity, tokenWithheld: false }, true), { ...base, AccessToken: 'aOlsbG8uand0' });
    assert.deepEqual(identityData({ ...identity, tokenWithheld: true }, false), base);
  });

  it('the Auth reply and the error container', () => {
    assert.equal(IDENTIFY, 'Identify');
    assert.deepEqual(REJECT, { Result: 'Reject' });
    assert.deepEqual(authReply('Identify', 7, REJECT), { Controller: 'Auth', Topic: 'Identify', TransactionID: 7, Data: { Result: 'Reject' } });
    assert.deepEqual(authReply('AuthCode', 0, 'x'), { Controller: 'Auth', Topic: 'AuthCode', TransactionID: 0, Data: 'x' });
    assert.deepEqual(authReply('Identify', undefined, REJECT), { Controller: 'Auth', Topic: 'Identify', Data: { Result: 'Reject' } });
    assert.deepEqual(errorReply({ Controller: 'C', Topic: 'T', TransactionID: 0 }, 'm'), {
      Controller: 'C',
      Topic: 'T',
      TransactionID: 0,
      Action: 'Error',
      Data: 'm',
    });
    assert.deepEqual(errorReply({ Controller: '', Topic: '' }, 'm'), { Controller: '', Topic: '', Action: 'Error', Data: 'm' });
    assert.deepEqual(errorReply({}, 'm'), { Action: 'Error', Data: 'm' });
    assert.deepEqual(Object.keys(errorReply({ Controller: 'C', Topic: 'T', TransactionID: 1 }, 'm')), [
      'Controller',
      'Topic',
      'TransactionID',
      'Action',
      'Data',
    ]);
  });

  it('every message text', () => {
    assert.deepEqual(
      { ...MESSAGES, throttled: MESSAGES.throttled(42) },
      {
        notJson: 'Malformed message: not a JSON object',
        binary: 'Binary frames are not supported; send ZenithJson text frames',
        notAuthenticated: 'Not authenticated: send Auth:AuthToken or Auth:AuthCode first',
        unknownTopic: 'Unknown Auth topic',
        unsupportedController: 'This server only provides the Auth controller',
        rateLimited: 'Too many messages: slow down',
        tooManyPending: 'Too many requests in progress: wait for the replies',
        throttled: 'Too many failed authentication attempts: try again in 42 seconds',
        unavailable: 'The server cannot complete this request right now: try again shortly',
      },
    );
  });
});

class Beat implements Beating {
  slot = -1;
  beats = 0;
  onBeat: (() => void) | undefined;
  beat(): void {
    this.beats++;
    this.onBeat?.();
  }
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('Zenith heartbeat wheel (heartbeat.ts)', () => {
  it('deals sockets to the 30 slots in turn, visits every one, and forgets a removed one', { timeout: 20000 }, async () => {
    const held = timeouts();
    const wheel = createHeartbeat<Beat>(300);
    assert.equal(timeouts(), held, 'the wheel alone never keeps the process alive');
    const cs = Array.from({ length: 32 }, () => new Beat());
    for (const c of cs) wheel.add(c);
    assert.deepEqual(
      cs.map((c) => c.slot),
      [...Array.from({ length: 30 }, (_, i) => i), 0, 1],
    );
    assert.deepEqual([...wheel.all()], [cs[0], cs[30], cs[1], cs[31], ...cs.slice(2, 30)]);
    const gone = cs[5]!;
    wheel.delete(gone);
    assert.deepEqual([...wheel.all()], [cs[0], cs[30], cs[1], cs[31], ...cs.slice(2, 5), ...cs.slice(6, 30)]);
    // A beat that removes its own socket (as ending one does) leaves the others in its slot visited.
    cs[1]!.onBeat = () => wheel.delete(cs[1]!);
    // Every socket still on the wheel is visited, each slot in turn.
    const live = cs.filter((c) => c !== gone);
    await new Promise<void>((resolve) => {
      const check = () => {
        if (live.every((c) => c.beats > 0)) resolve();
      };
      for (const c of live) {
        const prev = c.onBeat;
        c.onBeat = () => {
          prev?.();
          check();
        };
      }
    });
    wheel.stop();
    assert.equal(gone.beats, 0);
    assert.deepEqual([...wheel.all()], [cs[0], cs[30], cs[31], ...cs.slice(2, 5), ...cs.slice(6, 30)]);
    // Stopped: no visit comes any more (ten slots' worth of time).
    const counts = cs.map((c) => c.beats);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      cs.map((c) => c.beats),
      counts,
    );
  });
});
