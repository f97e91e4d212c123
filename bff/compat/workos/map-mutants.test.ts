/**
 * The WorkOS shapes (map.ts), exactly, where mutation testing (docs/mutation.md)
 * asks for them: WorkOSError's members and defaults, the three shorthands, the
 * error body exposed and hidden (with its 422 `errors` and extra members),
 * every branch of toWorkOSError (429, 4xx at the 500 boundary, the hashing
 * queue's 503, a store outage however wrapped, a body-parser failure, anything
 * else), fromTokenError's statuses and fallbacks, the name split, the user
 * object and the authentication response with and without its optional parts.
 * Pure functions: no app, no database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../http/errors.ts';
import { hashingBusy } from '../../accounts/hash-gate.ts';
import { StoreUnavailableError, type User } from '../../store/store.ts';
import {
  authenticationResponse,
  errorBody,
  fromTokenError,
  invalidClient,
  invalidGrant,
  invalidRequest,
  splitName,
  toWorkOSError,
  workosUser,
  WorkOSError,
  type AuthenticationParts,
} from './map.ts';

const HIDDEN = 'Something went wrong on our side. Try again in a moment.';
const OUTAGE = 'The portal cannot reach its database right now. Try again in a moment.';

/** The members of a WorkOSError a caller reads, in one object. */
const facts = (e: WorkOSError) => ({
  name: e.name,
  status: e.status,
  oauthError: e.oauthError,
  code: e.code,
  message: e.message,
  expose: e.expose,
  retryAfter: e.retryAfter,
  errors: e.errors,
  extra: e.extra,
});

describe('WorkOSError and its shorthands', () => {
  it('the code defaults to the OAuth error; every option is kept', () => {
    const plain = new WorkOSError(400, 'invalid_grant', 'no');
    assert.ok(plain instanceof AppError);
    assert.deepEqual(facts(plain), {
      name: 'WorkOSError',
      status: 400,
      oauthError: 'invalid_grant',
      code: 'invalid_grant',
      message: 'no',
      expose: true,
      retryAfter: undefined,
      errors: undefined,
      extra: undefined,
    });
    assert.equal(plain.cause, undefined);
    const cause = new Error('root');
    const errors = [{ field: 'email', code: 'required', message: 'Email is required.' }];
    const full = new WorkOSError(503, 'temporarily_unavailable', 'later', { code: 'busy', retryAfter: 7, errors, cause, expose: true, extra: { k: 1 } });
    assert.deepEqual(facts(full), {
      name: 'WorkOSError',
      status: 503,
      oauthError: 'temporarily_unavailable',
      code: 'busy',
      message: 'later',
      expose: true,
      retryAfter: 7,
      errors,
      extra: { k: 1 },
    });
    assert.equal(full.cause, cause);
    assert.equal(new WorkOSError(500, 'server_error', 'x').expose, false, '5xx are hidden unless said otherwise');
  });

  it('invalidGrant, invalidRequest and invalidClient', () => {
    assert.deepEqual(facts(invalidGrant('g')), { ...facts(new WorkOSError(400, 'invalid_grant', 'g')) });
    assert.deepEqual([invalidGrant('g', 'own_code').code, invalidGrant('g', 'own_code').status], ['own_code', 400]);
    assert.deepEqual(facts(invalidRequest('r')), facts(new WorkOSError(400, 'invalid_request', 'r')));
    assert.deepEqual([invalidRequest('r', 'rc').code, invalidRequest('r', 'rc').oauthError], ['rc', 'invalid_request']);
    assert.deepEqual(facts(invalidClient('c')), facts(new WorkOSError(401, 'invalid_client', 'c')));
    assert.equal(invalidClient('c').code, 'invalid_client');
  });
});

describe('errorBody', () => {
  it('an exposed error: its own members, then errors and extra', () => {
    const errors = [{ field: 'f', code: 'c', message: 'm' }];
    assert.deepEqual(errorBody(new WorkOSError(422, 'invalid_request', 'bad', { code: 'validation', errors, extra: { user: 'u' } })), {
      error: 'invalid_request',
      error_description: 'bad',
      code: 'validation',
      message: 'bad',
      errors,
      user: 'u',
    });
    assert.deepEqual(errorBody(invalidGrant('gone')), { error: 'invalid_grant', error_description: 'gone', code: 'invalid_grant', message: 'gone' });
  });

  it('a hidden one: the generic sentence, neither errors nor extra', () => {
    const e = new WorkOSError(500, 'weird', 'secret detail', { code: 'inner', errors: [{ field: 'f', code: 'c', message: 'm' }], extra: { leak: true } });
    assert.deepEqual(errorBody(e), { error: 'server_error', error_description: HIDDEN, code: 'server_error', message: HIDDEN });
  });
});

describe('toWorkOSError', () => {
  it('a WorkOSError is itself', () => {
    const e = invalidGrant('x');
    assert.equal(toWorkOSError(e), e);
  });

  it('an AppError 429: rate_limit_exceeded with its code and Retry-After', () => {
    const e = toWorkOSError(new AppError('too_many_attempts', 'slow down', { status: 429, retryAfter: 12 }));
    assert.deepEqual(facts(e), {
      name: 'WorkOSError',
      status: 429,
      oauthError: 'rate_limit_exceeded',
      code: 'too_many_attempts',
      message: 'slow down',
      expose: true,
      retryAfter: 12,
      errors: undefined,
      extra: undefined,
    });
  });

  it('an AppError 400 is invalid_grant, any other 4xx invalid_request, a 500 is not a 4xx', () => {
    const bad = toWorkOSError(new AppError('invitation_not_found', 'no such invitation', { status: 400 }));
    assert.deepEqual(
      [bad.status, bad.oauthError, bad.code, bad.message, bad.retryAfter],
      [400, 'invalid_grant', 'invitation_not_found', 'no such invitation', undefined],
    );
    const missing = toWorkOSError(new AppError('not_found', 'none', { status: 404 }));
    assert.deepEqual([missing.status, missing.oauthError, missing.code, missing.message], [404, 'invalid_request', 'not_found', 'none']);
    const edge = toWorkOSError(new AppError('invitation_expired', 'edge', { status: 499 }));
    assert.deepEqual([edge.status, edge.oauthError, edge.code], [499, 'invalid_request', 'invitation_expired']);
    const cause = new AppError('server_error', 'inner detail', { status: 500 });
    const five = toWorkOSError(cause);
    assert.deepEqual(facts(five), {
      name: 'WorkOSError',
      status: 500,
      oauthError: 'server_error',
      code: 'server_error',
      message: HIDDEN,
      expose: false,
      retryAfter: undefined,
      errors: undefined,
      extra: undefined,
    });
    assert.equal(five.cause, cause);
  });

  it("the hashing queue's 503: temporarily_unavailable, exposed, its own code and Retry-After", () => {
    const busy = hashingBusy();
    const e = toWorkOSError(busy);
    assert.deepEqual(facts(e), {
      name: 'WorkOSError',
      status: 503,
      oauthError: 'temporarily_unavailable',
      code: 'busy',
      message: busy.message,
      expose: true,
      retryAfter: 1,
      errors: undefined,
      extra: undefined,
    });
    assert.deepEqual(errorBody(e), { error: 'temporarily_unavailable', error_description: busy.message, code: 'busy', message: busy.message });
    // Another AppError 503 is no queue refusal: hidden as a 500.
    const other = toWorkOSError(new AppError('busy', 'other', { status: 502 }));
    assert.deepEqual([other.status, other.oauthError, other.expose], [500, 'server_error', false]);
  });

  it('a store outage, bare or wrapped: 503 temporarily_unavailable, Retry-After 5', () => {
    const outage = new StoreUnavailableError(new Error('ECONNREFUSED'));
    for (const err of [outage, new Error('wrapped', { cause: outage })]) {
      const e = toWorkOSError(err);
      assert.deepEqual(facts(e), {
        name: 'WorkOSError',
        status: 503,
        oauthError: 'temporarily_unavailable',
        code: 'temporarily_unavailable',
        message: OUTAGE,
        expose: true,
        retryAfter: 5,
        errors: undefined,
        extra: undefined,
      });
      assert.equal(e.cause, err);
    }
  });

  it("a body-parser failure: invalid_request with the table's status, code and sentence", () => {
    // As body-parser throws it: an http-errors object with its own status and message, no AppError.
    const e = toWorkOSError(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, statusCode: 413 }));
    assert.deepEqual([e.status, e.oauthError, e.code, e.message, e.expose], [413, 'invalid_request', 'body_too_large', 'The request body is too large.', true]);
  });

  it('anything else: a hidden 500 whose cause is the error', () => {
    const err = new TypeError('bug');
    const e = toWorkOSError(err);
    assert.deepEqual([e.status, e.oauthError, e.code, e.message, e.expose], [500, 'server_error', 'server_error', HIDDEN, false]);
    assert.equal(e.cause, err);
  });
});

describe('fromTokenError', () => {
  it("a 4xx keeps the endpoint's status, error and description", () => {
    const e = fromTokenError(400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
    assert.deepEqual(facts(e), facts(new WorkOSError(400, 'invalid_grant', 'grant request is invalid')));
    const edge = fromTokenError(499, { error: 'invalid_client', error_description: 'd' });
    assert.deepEqual([edge.status, edge.oauthError, edge.message], [499, 'invalid_client', 'd']);
  });

  it('missing or non-string members: server_error (a 500) and the generic description', () => {
    const e = fromTokenError(400, { error: 7, error_description: ['x'] });
    assert.deepEqual(
      [e.status, e.oauthError, e.code, e.message, e.expose],
      [500, 'server_error', 'server_error', 'The request could not be completed.', false],
    );
    const described = fromTokenError(401, { error_description: 'why' });
    assert.deepEqual([described.status, described.oauthError, described.message], [500, 'server_error', 'why']);
    const named = fromTokenError(401, { error: 'invalid_client' });
    assert.deepEqual([named.status, named.oauthError, named.message], [401, 'invalid_client', 'The request could not be completed.']);
  });

  it("the endpoint's database outage is the store outage; any other 5xx is a hidden 500 with the body as cause", () => {
    const body = { error: 'temporarily_unavailable', error_description: 'db down' };
    const outage = fromTokenError(503, body);
    assert.deepEqual(
      [outage.status, outage.oauthError, outage.code, outage.message, outage.expose, outage.retryAfter],
      [503, 'temporarily_unavailable', 'temporarily_unavailable', OUTAGE, true, 5],
    );
    assert.equal(outage.cause, body);
    const notOutage = fromTokenError(503, { error: 'server_error', error_description: 'x' });
    assert.deepEqual([notOutage.status, notOutage.oauthError, notOutage.expose], [500, 'server_error', false]);
    const otherStatus = fromTokenError(502, body);
    assert.deepEqual([otherStatus.status, otherStatus.oauthError, otherStatus.message], [500, 'server_error', 'db down']);
    const at500 = { error: 'invalid_request', error_description: 'boom' };
    const e500 = fromTokenError(500, at500);
    assert.deepEqual([e500.status, e500.oauthError, e500.code, e500.message, e500.expose], [500, 'server_error', 'server_error', 'boom', false]);
    assert.equal(e500.cause, at500);
  });
});

describe('splitName', () => {
  it('first word, then the rest joined by one space; nulls when absent', () => {
    assert.deepEqual(splitName('  Ada   Byron\tKing  '), { first: 'Ada', last: 'Byron King' });
    assert.deepEqual(splitName('Ada Lovelace'), { first: 'Ada', last: 'Lovelace' });
    assert.deepEqual(splitName(' Ada '), { first: 'Ada', last: null });
    assert.deepEqual(splitName(''), { first: null, last: null });
    assert.deepEqual(splitName('   '), { first: null, last: null });
  });
});

const USER: User = {
  id: 'usr_1',
  email: 'ada@example.com',
  name: 'Ada Byron King',
  passwordHash: 'hash',
  role: 'user',
  disabled: false,
  emailVerified: true,
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  updatedAt: Date.UTC(2026, 1, 3, 4, 5, 6),
  lastSignInAt: Date.UTC(2026, 2, 4, 5, 6, 7),
};

const USER_OBJECT = {
  object: 'user',
  id: 'usr_1',
  email: 'ada@example.com',
  email_verified: true,
  first_name: 'Ada',
  last_name: 'Byron King',
  name: 'Ada Byron King',
  profile_picture_url: null,
  last_sign_in_at: '2026-03-04T05:06:07.000Z',
  locale: null,
  created_at: '2026-01-02T03:04:05.000Z',
  updated_at: '2026-02-03T04:05:06.000Z',
  external_id: null,
  metadata: {},
};

describe('workosUser', () => {
  it("the seed's user object, dates in ISO form", () => {
    assert.deepEqual(workosUser(USER), USER_OBJECT);
  });

  it('never signed in, unverified, no name', () => {
    assert.deepEqual(workosUser({ ...USER, name: '', emailVerified: false, lastSignInAt: null }), {
      ...USER_OBJECT,
      name: '',
      first_name: null,
      last_name: null,
      email_verified: false,
      last_sign_in_at: null,
    });
  });
});

describe('authenticationResponse', () => {
  const parts: AuthenticationParts = {
    user: USER,
    organizationId: null,
    accessToken: 'at',
    refreshToken: undefined,
    authenticationMethod: 'Password',
    impersonator: null,
    oauthTokens: null,
  };

  it('without the optional parts: exactly user, tokens and method', () => {
    const body = authenticationResponse(parts);
    assert.deepEqual(body, { user: USER_OBJECT, access_token: 'at', refresh_token: undefined, authentication_method: 'Password' });
    assert.deepEqual(Object.keys(body), ['user', 'access_token', 'refresh_token', 'authentication_method']);
    assert.deepEqual(Object.keys(authenticationResponse({ ...parts, organizationId: '' })), Object.keys(body), 'an empty organization id is none');
  });

  it('with every optional part: only the seed fields of each', () => {
    const body = authenticationResponse({
      ...parts,
      organizationId: 'org_1',
      refreshToken: 'rt',
      impersonator: { email: 'admin@example.com', reason: 'support', extra: 'no' } as AuthenticationParts['impersonator'],
      oauthTokens: {
        provider: 'GoogleOAuth',
        access_token: 'uat',
        refresh_token: 'urt',
        expires_at: 1700000000,
        scopes: ['email'],
        extra: 'no',
      } as AuthenticationParts['oauthTokens'],
    });
    assert.deepEqual(body, {
      user: USER_OBJECT,
      organization_id: 'org_1',
      access_token: 'at',
      refresh_token: 'rt',
      authentication_method: 'Password',
      impersonator: { email: 'admin@example.com', reason: 'support' },
      oauth_tokens: { access_token: 'uat', refresh_token: 'urt', expires_at: 1700000000, scopes: ['email'] },
    });
  });
});
