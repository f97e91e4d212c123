/**
 * The optional client settings (client-options.ts), pinned where mutation
 * testing (docs/mutation.md) needs it: each JWKS rule with its sentence (no
 * "keys", an empty list, a key without a string "kty", each private member
 * on its own), the JWKS URI and back-channel logout URI rules (trimmed, http
 * only on loopback), a JWKS together with a JWKS URI, keys for a public
 * client, which field's sentence leads, and exactly what comes back (only
 * what was asked for). Then the oidc-provider metadata a stored record gives,
 * key for key: plain, keyed by JWKS or by URL, DPoP, PAR, the device grant,
 * token exchange for the first-party client, back-channel logout with and
 * without `sid`, and a machine client. Pure functions: no app, no database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../http/errors.ts';
import type { ClientRecord } from '../store/store.ts';
import { backchannelLogoutUriProblem, providerMetadata, validateClientOptions, type ClientOptionsInput } from './client-options.ts';

const JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
const JWKS = { keys: [JWK] };

/** The refusal validateClientOptions throws: code, status, sentence and fields. */
function refused(input: ClientOptionsInput, isPublic = false) {
  try {
    validateClientOptions(input, isPublic);
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return { code: err.code, status: err.status, message: err.message, fields: err.fields };
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

/** A refusal with one field: its sentence leads. */
function refusedFor(input: ClientOptionsInput, field: string, message: string, isPublic = false) {
  assert.deepEqual(refused(input, isPublic), { code: 'invalid_client_metadata', status: 400, message, fields: { [field]: message } }, JSON.stringify(input));
}

describe('validateClientOptions', () => {
  it('accepts nothing asked for with nothing set, for public and confidential clients', () => {
    assert.deepEqual(validateClientOptions({}, false), {});
    assert.deepEqual(validateClientOptions({}, true), {});
    assert.deepEqual(validateClientOptions({ jwks: null, jwksUri: null, backchannelLogoutUri: null }, true), {});
    assert.deepEqual(validateClientOptions({ jwksUri: '  ', backchannelLogoutUri: ' ' }, true), {});
    assert.deepEqual(validateClientOptions({ requireDpop: false, requirePar: false, device: false, backchannelLogoutSessionRequired: false }, false), {});
  });

  it('returns exactly what was asked for', () => {
    assert.deepEqual(validateClientOptions({ jwks: JWKS }, false), { jwks: JWKS });
    assert.deepEqual(validateClientOptions({ jwksUri: ' https://partner.example/jwks ' }, false), { jwksUri: 'https://partner.example/jwks' });
    assert.deepEqual(validateClientOptions({ jwksUri: 'http://localhost:8080/jwks' }, false), { jwksUri: 'http://localhost:8080/jwks' });
    assert.deepEqual(validateClientOptions({ requireDpop: true }, true), { requireDpop: true });
    assert.deepEqual(validateClientOptions({ requirePar: true }, true), { requirePar: true });
    assert.deepEqual(validateClientOptions({ device: true }, true), { device: true });
    assert.deepEqual(validateClientOptions({ backchannelLogoutUri: ' https://partner.example/bcl ' }, true), {
      backchannelLogoutUri: 'https://partner.example/bcl',
    });
    assert.deepEqual(validateClientOptions({ backchannelLogoutUri: 'https://partner.example/bcl', backchannelLogoutSessionRequired: false }, false), {
      backchannelLogoutUri: 'https://partner.example/bcl',
    });
    assert.deepEqual(validateClientOptions({ backchannelLogoutUri: 'https://partner.example/bcl', backchannelLogoutSessionRequired: true }, false), {
      backchannelLogoutUri: 'https://partner.example/bcl',
      backchannelLogoutSessionRequired: true,
    });
    assert.deepEqual(
      validateClientOptions(
        { jwks: JWKS, requireDpop: true, requirePar: true, device: true, backchannelLogoutUri: 'http://127.0.0.1/bcl', backchannelLogoutSessionRequired: true },
        false,
      ),
      { jwks: JWKS, requireDpop: true, requirePar: true, device: true, backchannelLogoutUri: 'http://127.0.0.1/bcl', backchannelLogoutSessionRequired: true },
    );
  });

  it('refuses a JWKS without a non-empty "keys" array', () => {
    const m = 'The JWKS must be a JSON object with a non-empty "keys" array.';
    for (const jwks of [{}, { keys: [] }, { keys: {} }, { keys: 'EC' }, 'keys', 7]) refusedFor({ jwks }, 'jwks', m);
  });

  it('refuses a key that is not an object with a string "kty"', () => {
    const m = 'Every key of the JWKS needs a "kty".';
    for (const key of [null, 0, 'EC', {}, { kty: 1 }, { crv: 'P-256' }]) refusedFor({ jwks: { keys: [JWK, key] } }, 'jwks', m);
  });

  it('refuses each private or symmetric key member on its own, in any key of the set', () => {
    const m = 'The JWKS holds a private or symmetric key: register the public keys only.';
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      refusedFor({ jwks: { keys: [{ ...JWK, [member]: 'x' }] } }, 'jwks', m);
      refusedFor({ jwks: { keys: [JWK, { ...JWK, kid: '2', [member]: 'x' }] } }, 'jwks', m);
    }
    assert.deepEqual(validateClientOptions({ jwks: { keys: [JWK, { ...JWK, kid: '2', use: 'sig', alg: 'ES256' }] } }, false), {
      jwks: { keys: [JWK, { ...JWK, kid: '2', use: 'sig', alg: 'ES256' }] },
    });
  });

  it('refuses a JWKS URI that is not https (http only on loopback), or not a URL', () => {
    refusedFor({ jwksUri: 'http://partner.example/jwks' }, 'jwksUri', 'The JWKS URI must be an https URL.');
    refusedFor({ jwksUri: ' ftp://partner.example/jwks' }, 'jwksUri', 'The JWKS URI must be an https URL.');
    refusedFor({ jwksUri: 'partner.example/jwks' }, 'jwksUri', 'The JWKS URI is not a valid absolute URL.');
  });

  it('refuses a back-channel logout URI by the redirect URI rules', () => {
    refusedFor(
      { backchannelLogoutUri: 'http://partner.example/bcl' },
      'backchannelLogoutUri',
      'The back-channel logout URI must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).',
    );
    refusedFor(
      { backchannelLogoutUri: 'https://partner.example/bcl#x' },
      'backchannelLogoutUri',
      'The back-channel logout URI must not contain a fragment (#).',
    );
    refusedFor({ backchannelLogoutUri: ' bcl ' }, 'backchannelLogoutUri', 'The back-channel logout URI is not a valid absolute URL.');
    assert.equal(backchannelLogoutUriProblem('https://partner.example/bcl'), null);
    assert.equal(backchannelLogoutUriProblem('https://u:p@partner.example/bcl'), 'The back-channel logout URI must not contain a user name or password.');
  });

  it('refuses requiring a session id without a back-channel logout URI', () => {
    const m = 'Requiring a session id in logout tokens needs a back-channel logout URI.';
    refusedFor({ backchannelLogoutSessionRequired: true }, 'backchannelLogoutUri', m);
    refusedFor({ backchannelLogoutSessionRequired: true, backchannelLogoutUri: '  ' }, 'backchannelLogoutUri', m);
    refusedFor({ backchannelLogoutSessionRequired: true, backchannelLogoutUri: null }, 'backchannelLogoutUri', m);
  });

  it('refuses a JWKS with a JWKS URI, and keys for a public client', () => {
    refusedFor({ jwks: JWKS, jwksUri: 'https://partner.example/jwks' }, 'jwks', 'Give either a JWKS or a JWKS URI, not both.');
    const pub = 'A public client has no client authentication: private_key_jwt needs a confidential client.';
    refusedFor({ jwks: JWKS }, 'jwks', pub, true);
    refusedFor({ jwksUri: 'https://partner.example/jwks' }, 'jwks', pub, true);
    refusedFor({ jwks: JWKS, jwksUri: 'https://partner.example/jwks' }, 'jwks', pub, true);
    // A bad JWKS for a public client: the public-client sentence is the one kept.
    refusedFor({ jwks: {} }, 'jwks', pub, true);
  });

  it('names every bad field, the first one leading', () => {
    assert.deepEqual(refused({ jwks: {}, jwksUri: 'http://partner.example/jwks', backchannelLogoutUri: 'http://partner.example/bcl' }), {
      code: 'invalid_client_metadata',
      status: 400,
      message: 'Give either a JWKS or a JWKS URI, not both.',
      fields: {
        jwks: 'Give either a JWKS or a JWKS URI, not both.',
        jwksUri: 'The JWKS URI must be an https URL.',
        backchannelLogoutUri: 'The back-channel logout URI must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).',
      },
    });
    assert.deepEqual(refused({ jwksUri: 'http://partner.example/jwks', backchannelLogoutSessionRequired: true }), {
      code: 'invalid_client_metadata',
      status: 400,
      message: 'The JWKS URI must be an https URL.',
      fields: {
        jwksUri: 'The JWKS URI must be an https URL.',
        backchannelLogoutUri: 'Requiring a session id in logout tokens needs a back-channel logout URI.',
      },
    });
    // A bad URI and no session id asked for: the URI's own sentence, not the missing-URI one.
    assert.deepEqual(refused({ backchannelLogoutUri: 'http://partner.example/bcl', backchannelLogoutSessionRequired: true }).fields, {
      backchannelLogoutUri: 'The back-channel logout URI must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).',
    });
  });
});

/** `o` without the keys named. */
function omit(o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

describe('providerMetadata', () => {
  const base: ClientRecord = {
    clientId: 'c1',
    name: 'Partner',
    secret: 's3cret',
    redirectUris: ['https://partner.example/cb'],
    postLogoutRedirectUris: ['https://partner.example/'],
    scopes: ['openid', 'email'],
    logoUrl: null,
    firstParty: false,
    createdAt: 1,
  };
  const plain: Record<string, unknown> = {
    client_id: 'c1',
    client_secret: 's3cret',
    token_endpoint_auth_method: 'client_secret_basic',
    client_name: 'Partner',
    redirect_uris: ['https://partner.example/cb'],
    post_logout_redirect_uris: ['https://partner.example/'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid email',
    id_token_signed_response_alg: 'ES256',
    portal_first_party: false,
  };

  it('a plain partner: clients.ts metadata, nothing more', () => {
    assert.deepEqual(providerMetadata(base), plain);
    assert.deepEqual(
      providerMetadata({
        ...base,
        jwks: null,
        jwksUri: null,
        requireDpop: false,
        requirePar: false,
        device: false,
        machine: false,
        backchannelLogoutUri: null,
      }),
      plain,
    );
  });

  it('keyed by a JWKS or by its URL: private_key_jwt with the keys', () => {
    assert.deepEqual(providerMetadata({ ...base, secret: null, jwks: JWKS }), {
      ...omit(plain, 'client_secret'),
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JWKS,
    });
    const byUrl = providerMetadata({ ...base, secret: null, jwksUri: 'https://partner.example/jwks' });
    assert.deepEqual(byUrl, { ...omit(plain, 'client_secret'), token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://partner.example/jwks' });
    assert.equal('jwks' in byUrl, false);
    assert.equal('client_secret' in byUrl, false);
  });

  it('DPoP, PAR, the device grant and token exchange for the first-party client', () => {
    assert.deepEqual(providerMetadata({ ...base, requireDpop: true }), { ...plain, dpop_bound_access_tokens: true });
    assert.deepEqual(providerMetadata({ ...base, requirePar: true }), { ...plain, require_pushed_authorization_requests: true });
    assert.deepEqual(providerMetadata({ ...base, device: true }), {
      ...plain,
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    });
    assert.deepEqual(providerMetadata({ ...base, firstParty: true }), {
      ...plain,
      portal_first_party: true,
      // Its ID token always says when the person signed in (a silent sign-in renews nothing).
      require_auth_time: true,
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    });
    assert.deepEqual(providerMetadata({ ...base, firstParty: true, device: true }).grant_types, [
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
  });

  it('back-channel logout, with sid required only when asked', () => {
    assert.deepEqual(providerMetadata({ ...base, backchannelLogoutUri: 'https://partner.example/bcl' }), {
      ...plain,
      backchannel_logout_uri: 'https://partner.example/bcl',
      backchannel_logout_session_required: false,
    });
    assert.deepEqual(providerMetadata({ ...base, backchannelLogoutUri: 'https://partner.example/bcl', backchannelLogoutSessionRequired: true }), {
      ...plain,
      backchannel_logout_uri: 'https://partner.example/bcl',
      backchannel_logout_session_required: true,
    });
    assert.deepEqual(providerMetadata({ ...base, backchannelLogoutSessionRequired: true }), plain);
  });

  it('a machine client: client_credentials only, its resource scopes apart, never back-channel logout', () => {
    const machine: ClientRecord = {
      ...base,
      machine: true,
      redirectUris: [],
      postLogoutRedirectUris: [],
      scopes: ['orders:read', 'orders:write'],
      device: true,
      backchannelLogoutUri: 'https://partner.example/bcl',
      backchannelLogoutSessionRequired: true,
    };
    const m = providerMetadata(machine);
    assert.deepEqual(m, {
      ...omit(plain, 'scope'),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
      portal_resource_scopes: 'orders:read orders:write',
    });
    assert.equal('scope' in m, false);
    assert.deepEqual(providerMetadata({ ...machine, secret: null, jwks: JWKS, requireDpop: true }), {
      ...omit(plain, 'client_secret', 'scope'),
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JWKS,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
      portal_resource_scopes: 'orders:read orders:write',
      dpop_bound_access_tokens: true,
    });
  });
});
