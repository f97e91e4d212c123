/**
 * `authentication_method` stays inside WorkOS's enum: an upstream sign-in is
 * named by its connection's issuer (Google, Microsoft, GitHub, Apple), any
 * other upstream is `SSO`; impersonation and passwords keep their names.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authenticationMethod } from '../../oauth/core.ts';

const ENUM = ['SSO', 'Password', 'Passkey', 'AppleOAuth', 'GitHubOAuth', 'GoogleOAuth', 'MicrosoftOAuth', 'MagicAuth', 'Impersonation'];

describe('authentication_method by upstream issuer', () => {
  it('maps the social issuers WorkOS names, and everything else to SSO', () => {
    const cases: Array<[string | null, string, string]> = [
      ['https://accounts.google.com', 'social:Google', 'GoogleOAuth'],
      ['https://login.microsoftonline.com/common/v2.0', 'social:Microsoft', 'MicrosoftOAuth'],
      ['https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0', 'social:Outlook', 'MicrosoftOAuth'],
      ['https://github.com', 'social:GitHub', 'GitHubOAuth'],
      ['https://appleid.apple.com', 'social:Apple', 'AppleOAuth'],
      ['https://accounts.google.com.evil.example', 'social:Google', 'SSO'],
      ['https://login.example.com', 'social:Okta', 'SSO'],
      ['https://idp.corp.example', 'sso:conn_1', 'SSO'],
      ['https://accounts.google.com', 'sso:conn_2', 'SSO'],
      [null, 'social:Google', 'SSO'],
    ];
    for (const [issuer, acr, expected] of cases) assert.equal(authenticationMethod(['fed'], acr, issuer), expected, `${issuer} ${acr}`);
  });

  it('passwords and impersonation keep their names; every answer is in the enum', () => {
    assert.equal(authenticationMethod(['pwd'], undefined), 'Password');
    assert.equal(authenticationMethod(['imp'], 'imp:1'), 'Impersonation');
    assert.equal(authenticationMethod(['hwk', 'user'], undefined), 'Passkey');
    assert.equal(authenticationMethod(['swk'], undefined), 'Passkey');
    assert.equal(authenticationMethod(['pwd', 'hwk', 'user', 'mfa'], 'mfa'), 'Password', 'a passkey after a password');
    for (const acr of ['social:Whatever Name', 'social:', 'sso:', undefined]) assert.ok(ENUM.includes(authenticationMethod(['fed'], acr, 'https://x.example')));
  });
});
