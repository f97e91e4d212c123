/**
 * The WorkOS wire schemas (schema.ts), exactly, where mutation testing
 * (docs/mutation.md) asks for them: what each grant and body accepts and
 * parses to (optional members: null and '' read as absent, unknown members
 * dropped), each required member's empty and over-long values refused, each
 * optional one's length limit, the grant-type URNs, and the constant lists.
 * Pure: no app, no database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ZodType } from 'zod';
import {
  AUTHORIZE_PASSTHROUGH,
  authorizationCodeGrant,
  createMagicAuthBody,
  createPasswordResetBody,
  EMAIL_VERIFICATION,
  emailVerificationGrant,
  GRANT_TYPES,
  logoutQuery,
  MAGIC_AUTH,
  magicAuthGrant,
  MFA_TOTP,
  mfaTotpGrant,
  ORGANIZATION_SELECTION,
  organizationSelectionGrant,
  passwordGrant,
  refreshTokenGrant,
  resetPasswordBody,
  revokeSessionBody,
  verifyEmailBody,
  WORKOS_SCOPES,
} from './schema.ts';

const s = (n: number) => 'x'.repeat(n);

/** `schema` accepts `base` (plus an unknown member) as `parsed`; each required member refused empty and at max+1 and accepted at max; each optional one refused at max+1, absent when null or ''. */
function pin(
  schema: ZodType,
  base: Record<string, unknown>,
  parsed: Record<string, unknown>,
  required: Record<string, number>,
  optional: Record<string, number>,
) {
  assert.deepEqual(schema.parse({ ...base, unknown_member: 'dropped' }), parsed);
  for (const [key, max] of Object.entries(required)) {
    assert.equal(schema.safeParse({ ...base, [key]: '' }).success, false, `${key} empty`);
    assert.equal(schema.safeParse({ ...base, [key]: s(max + 1) }).success, false, `${key} over ${max}`);
    assert.equal((schema.parse({ ...base, [key]: s(max) }) as Record<string, unknown>)[key], s(max), `${key} at ${max}`);
    const rest = { ...base };
    delete rest[key];
    assert.equal(schema.safeParse(rest).success, false, `${key} missing`);
  }
  for (const [key, max] of Object.entries(optional)) {
    assert.equal(schema.safeParse({ ...base, [key]: s(max + 1) }).success, false, `${key} over ${max}`);
    assert.equal((schema.parse({ ...base, [key]: s(max) }) as Record<string, unknown>)[key], s(max), `${key} at ${max}`);
    assert.equal((schema.parse({ ...base, [key]: 'ok' }) as Record<string, unknown>)[key], 'ok', `${key} kept`);
    for (const absent of [null, '', undefined]) {
      const out = schema.parse({ ...base, [key]: absent }) as Record<string, unknown>;
      assert.equal(out[key], undefined, `${key} ${JSON.stringify(absent)}`);
    }
  }
}

const COMMON = { client_id: 200 };
const COMMON_OPTIONAL = { client_secret: 512, ip_address: 100, user_agent: 1000 };

describe('WorkOS grant schemas', () => {
  it('authorization_code', () => {
    const base = { grant_type: 'authorization_code', code: 'the-code', client_id: 'client_abc', client_secret: 'sk', ip_address: '', user_agent: null };
    pin(
      authorizationCodeGrant,
      base,
      { grant_type: 'authorization_code', code: 'the-code', client_id: 'client_abc', client_secret: 'sk', ip_address: undefined, user_agent: undefined },
      { code: 2048, ...COMMON },
      { code_verifier: 256, invitation_token: 512, ...COMMON_OPTIONAL },
    );
    assert.equal(authorizationCodeGrant.safeParse({ ...base, grant_type: 'refresh_token' }).success, false);
  });

  it('refresh_token', () => {
    const base = { grant_type: 'refresh_token', refresh_token: 'the-rt', client_id: 'client_abc' };
    pin(refreshTokenGrant, base, base, { refresh_token: 4096, ...COMMON }, { organization_id: 200, ...COMMON_OPTIONAL });
    assert.equal(refreshTokenGrant.safeParse({ ...base, grant_type: 'authorization_code' }).success, false);
  });

  it('organization selection', () => {
    assert.equal(ORGANIZATION_SELECTION, 'urn:workos:oauth:grant-type:organization-selection');
    const base = { grant_type: ORGANIZATION_SELECTION, pending_authentication_token: 'pat', organization_id: 'org_1', client_id: 'client_abc' };
    pin(organizationSelectionGrant, base, base, { pending_authentication_token: 200, organization_id: 200, ...COMMON }, COMMON_OPTIONAL);
    assert.equal(organizationSelectionGrant.safeParse({ ...base, grant_type: 'password' }).success, false);
  });

  it('password', () => {
    const base = { grant_type: 'password', email: 'a@example.com', password: 'pw-long', client_id: 'client_abc' };
    pin(passwordGrant, base, base, { email: 320, password: 4096, ...COMMON }, { invitation_token: 512, ...COMMON_OPTIONAL });
    assert.equal(passwordGrant.safeParse({ ...base, grant_type: MAGIC_AUTH }).success, false);
  });

  it('email verification', () => {
    assert.equal(EMAIL_VERIFICATION, 'urn:workos:oauth:grant-type:email-verification:code');
    const base = { grant_type: EMAIL_VERIFICATION, pending_authentication_token: 'pat', code: '123456', client_id: 'client_abc' };
    pin(emailVerificationGrant, base, base, { pending_authentication_token: 200, code: 20, ...COMMON }, COMMON_OPTIONAL);
    assert.equal(emailVerificationGrant.safeParse({ ...base, grant_type: 'password' }).success, false);
  });

  it('magic auth', () => {
    assert.equal(MAGIC_AUTH, 'urn:workos:oauth:grant-type:magic-auth:code');
    const base = { grant_type: MAGIC_AUTH, email: 'a@example.com', code: '123456', client_id: 'client_abc' };
    pin(magicAuthGrant, base, base, { email: 320, code: 20, ...COMMON }, { invitation_token: 512, ...COMMON_OPTIONAL });
    assert.equal(magicAuthGrant.safeParse({ ...base, grant_type: 'password' }).success, false);
  });

  it('mfa totp', () => {
    assert.equal(MFA_TOTP, 'urn:workos:oauth:grant-type:mfa-totp');
    const base = {
      grant_type: MFA_TOTP,
      code: '123456',
      pending_authentication_token: 'pat',
      authentication_challenge_id: 'auth_challenge_1',
      client_id: 'client_abc',
    };
    pin(mfaTotpGrant, base, base, { code: 20, pending_authentication_token: 200, authentication_challenge_id: 300, ...COMMON }, COMMON_OPTIONAL);
    assert.equal(mfaTotpGrant.safeParse({ ...base, grant_type: 'password' }).success, false);
  });
});

describe('WorkOS bodies and queries', () => {
  it('createMagicAuth', () => {
    const base = { email: 'a@example.com' };
    pin(createMagicAuthBody, base, base, { email: 320 }, { invitation_token: 512, ip_address: 100, user_agent: 1000 });
  });

  it('verify email, password reset, reset password, revoke session', () => {
    pin(verifyEmailBody, { code: '123456' }, { code: '123456' }, { code: 20 }, {});
    pin(createPasswordResetBody, { email: 'a@example.com' }, { email: 'a@example.com' }, { email: 320 }, {});
    pin(resetPasswordBody, { token: 'tok', new_password: 'new-pw' }, { token: 'tok', new_password: 'new-pw' }, { token: 200, new_password: 4096 }, {});
    pin(revokeSessionBody, { session_id: 'grant_1' }, { session_id: 'grant_1' }, { session_id: 512 }, {});
  });

  it('logout: session_id required, return_to optional up to 2048 (empty allowed)', () => {
    pin(logoutQuery, { session_id: 'grant_1' }, { session_id: 'grant_1' }, { session_id: 512 }, {});
    assert.deepEqual(logoutQuery.parse({ session_id: 'g', return_to: '' }), { session_id: 'g', return_to: '' });
    assert.deepEqual(logoutQuery.parse({ session_id: 'g', return_to: s(2048) }), { session_id: 'g', return_to: s(2048) });
    assert.equal(logoutQuery.safeParse({ session_id: 'g', return_to: s(2049) }).success, false);
  });
});

describe('WorkOS constant lists', () => {
  it('grant types, authorize pass-through, scopes', () => {
    assert.deepEqual(GRANT_TYPES, [
      'authorization_code',
      'refresh_token',
      'urn:workos:oauth:grant-type:organization-selection',
      'password',
      'urn:workos:oauth:grant-type:email-verification:code',
      'urn:workos:oauth:grant-type:magic-auth:code',
      'urn:workos:oauth:grant-type:mfa-totp',
    ]);
    assert.deepEqual(AUTHORIZE_PASSTHROUGH, [
      'client_id',
      'redirect_uri',
      'response_type',
      'state',
      'code_challenge',
      'code_challenge_method',
      'login_hint',
      'prompt',
      'max_age',
    ]);
    assert.deepEqual(WORKOS_SCOPES, ['openid', 'profile', 'email', 'offline_access']);
  });
});
