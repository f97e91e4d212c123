/**
 * Seed 002 (SaG AuthCodeRequest), its three sample requests sent as the
 * document prints them, byte for byte: the client is registered with the
 * document's own ClientId and ClientSecret (a raw '=' in the form sample), the
 * operators with the document's usernames ("user", "your-user-name"); only the
 * host and the passwords (the portal refuses "password") are adapted. Plus what
 * the portal adds: sign-in by username anywhere a password is accepted, a raw
 * '+' in a form-sent secret, and the optional RedirectUri and Scope fields.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { Agent, authorizeThrough } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { setUsername } from '../../accounts/usernames.ts';
import type { ClientRecord } from '../../store/store.ts';

const SEED_ID = 'o7p7zumt2qa5xfybvhepeyexg26ijdua';
const SEED_SECRET = 'aWw2ZnJ4ZGR3YWN1MDdobzZyc2llbng2d3Ayc29nZTc=';
const PLUS_ID = 'o7p7zumt2qa5xfybvhepeyexg26ijdub';
const PLUS_SECRET = 'aWw2ZnJ4+ZGR3YWN1MDdo/bzZyc2llbng2d3Ayc29nZTc=';
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://sag.example/cb';
const REDIRECT2 = 'https://sag.example/other';
const PATH = '/admin/login/auth_code';

// The document's samples, with the password adapted.
const SEED_JSON = `{
"ClientId": "${SEED_ID}",
"ClientSecret": "${SEED_SECRET}",
"Username": "user",
"Password": "${PASSWORD}"
}`;
const SEED_XML = `<AuthCodeRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Requests"> <ClientId>${SEED_ID}</ClientId> <ClientSecret>${SEED_SECRET}</ClientSecret> <Password>${PASSWORD}</Password> <Username>user</Username> </AuthCodeRequest>`;
const formSample = (id: string, secret: string, password = 'your-password-is-long') =>
  `ClientId=${id}&ClientSecret=${secret}&Username=your-user-name&Password=${password}`;

async function post(app: TestApp, body: string, type: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${app.url}${PATH}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, text: await res.text() };
}

function codeOf(r: { status: number; text: string }): string {
  assert.equal(r.status, 200, r.text);
  const xml = /<AuthCode>([^<]+)<\/AuthCode>/.exec(r.text);
  if (xml) return xml[1]!;
  const env = JSON.parse(r.text) as { Header: { Status: string; StatusCode: number; ErrorId: null; Message: string }; Body: { AuthCode: string } };
  assert.deepEqual(env.Header, { Message: '', StatusCode: 0, Status: 'Ok', ErrorId: null });
  return env.Body.AuthCode;
}

/** How the document's client redeems: /oauth/token with its credentials (RFC 6749 §2.3.1 Basic). */
async function redeem(app: TestApp, code: string, id: string, secret: string, redirectUri = REDIRECT) {
  const basic = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
  const res = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

function seedClient(clientId: string, secret: string): ClientRecord {
  return {
    clientId,
    name: 'SaG OTC',
    secret,
    redirectUris: [REDIRECT, REDIRECT2],
    postLogoutRedirectUris: ['https://sag.example/'],
    scopes: ['openid', 'profile', 'basic'],
    logoUrl: null,
    firstParty: false,
    createdAt: Date.now(),
  };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`SaG document samples, as printed (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
      // Through the app's own (encrypting) store, as registration would.
      await app.deps.store.clients.create(seedClient(SEED_ID, SEED_SECRET));
      await app.deps.store.clients.create(seedClient(PLUS_ID, PLUS_SECRET));
      const op = await createAccount(app.store, { email: 'operator@example.com', password: PASSWORD, name: 'Operator' }, Date.now());
      await setUsername(app.store, op.id, 'User', Date.now());
      const other = await createAccount(app.store, { email: 'other@example.com', password: 'your-password-is-long' }, Date.now());
      await setUsername(app.store, other.id, 'your-user-name', Date.now());
    });
    after(() => app.close());

    it('the JSON sample: username "user" signs in; the code redeems with the first redirect URI and every scope', async () => {
      const code = codeOf(await post(app, SEED_JSON, 'application/json'));
      const t = await redeem(app, code, SEED_ID, SEED_SECRET);
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.deepEqual(t.body.scope!.split(' ').sort(), ['basic', 'openid', 'profile']);
    });

    it('the XML sample in data-contract order gets the XML answer', async () => {
      const r = await post(app, SEED_XML, 'application/xml');
      assert.match(
        r.text,
        /^<AuthCodeResponse xmlns:i="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance" xmlns="http:\/\/schemas\.datacontract\.org\/2004\/07\/SaG\.OTC\.API\.Models\.Responses"><Body><AuthCode>/,
      );
      assert.equal((await redeem(app, codeOf(r), SEED_ID, SEED_SECRET)).status, 200);
    });

    it('the form sample, raw "=" in the secret, and a secret with a raw "+"', async () => {
      assert.equal(
        (await redeem(app, codeOf(await post(app, formSample(SEED_ID, SEED_SECRET), 'application/x-www-form-urlencoded')), SEED_ID, SEED_SECRET)).status,
        200,
      );
      assert.equal(
        (await redeem(app, codeOf(await post(app, formSample(PLUS_ID, PLUS_SECRET), 'application/x-www-form-urlencoded')), PLUS_ID, PLUS_SECRET)).status,
        200,
      );
      // Percent-encoded, as a careful client sends it, works too.
      assert.equal(codeOf(await post(app, formSample(PLUS_ID, encodeURIComponent(PLUS_SECRET)), 'application/x-www-form-urlencoded')).length > 0, true);
    });

    it('a username is case-insensitive, and an unknown one answers exactly like a wrong password', async () => {
      codeOf(await post(app, SEED_JSON.replace('"user"', '"USER"'), 'application/json'));
      const unknown = await post(app, SEED_JSON.replace('"user"', '"nobody-here"').replace(PASSWORD, 'wrong password here'), 'application/json');
      const wrong = await post(app, SEED_JSON.replace(PASSWORD, 'wrong password here'), 'application/json');
      assert.deepEqual([unknown.status, unknown.text], [wrong.status, wrong.text]);
      assert.equal(wrong.status, 401);
    });

    it('the browser sign-in takes the username too', async () => {
      const agent = new Agent(app.url);
      const end = await authorizeThrough(agent, '/bff/login?returnTo=/account', { email: 'USER', password: PASSWORD });
      assert.equal(end.pathname, '/account');
      const me = (await (await agent.api('GET', '/bff/session')).json()) as { user: { email: string } };
      assert.equal(me.user.email, 'operator@example.com');
    });

    it('RedirectUri and Scope name what the code is for; outside the registration they are refused, never as an oracle', async () => {
      const named = `<AuthCodeRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Requests"> <ClientId>${SEED_ID}</ClientId> <ClientSecret>${SEED_SECRET}</ClientSecret> <Password>${PASSWORD}</Password> <RedirectUri>${REDIRECT2}</RedirectUri> <Scope>basic</Scope> <Username>user</Username> </AuthCodeRequest>`;
      const code = codeOf(await post(app, named, 'application/xml'));
      assert.equal((await redeem(app, code, SEED_ID, SEED_SECRET, REDIRECT)).status, 400, 'bound to the named redirect URI');
      const code2 = codeOf(await post(app, named, 'application/xml'));
      const t = await redeem(app, code2, SEED_ID, SEED_SECRET, REDIRECT2);
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.equal(t.body.scope, 'basic');

      const json = (extra: Record<string, string>, secret = SEED_SECRET) =>
        JSON.stringify({ ClientId: SEED_ID, ClientSecret: secret, Username: 'user', Password: PASSWORD, ...extra });
      const badUri = await post(app, json({ RedirectUri: 'https://evil.example/cb' }), 'application/json');
      assert.equal(badUri.status, 400);
      assert.equal((JSON.parse(badUri.text) as { Header: { ErrorId: string } }).Header.ErrorId, 'invalid_redirect_uri');
      const badScope = await post(app, json({ Scope: 'basic email' }), 'application/json');
      assert.equal((JSON.parse(badScope.text) as { Header: { ErrorId: string } }).Header.ErrorId, 'invalid_scope');
      // With a wrong secret the same request is just invalid credentials.
      const wrongSecret = await post(app, json({ RedirectUri: 'https://evil.example/cb' }, 'not-the-secret'), 'application/json');
      assert.equal(wrongSecret.status, 401);
      assert.equal((JSON.parse(wrongSecret.text) as { Header: { ErrorId: string } }).Header.ErrorId, 'invalid_credentials');
    });
  });
}
