/**
 * No timing oracle at sign-in: an unknown account, a disabled one, one without
 * a password and a wrong password each cost exactly one password-hash
 * verification at the real parameters, like a right password. Counted
 * (passwords.ts `hashWork`), never timed, on every path that
 * checks a password: the browser sign-in interaction, SaG and the WorkOS
 * password grant.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { createAccount } from './accounts.ts';
import { hashWork } from './passwords.ts';
import { registerClient } from '../oauth/clients.ts';

const PASSWORD = 'correct horse battery staple';
const ACTIVE = 'active@example.com';
const DISABLED = 'disabled@example.com';
/** Signs in with a passkey or an upstream provider only: there is no password to check. */
const PASSWORDLESS = 'passwordless@example.com';

/** Each attempt that must fail, with the password it sends. */
const FAILURES: Array<[string, string, string]> = [
  ['unknown account', 'nobody@example.com', PASSWORD],
  ['disabled account, right password', DISABLED, PASSWORD],
  ['disabled account, wrong password', DISABLED, 'wrong password, quite long'],
  ['wrong password', ACTIVE, 'wrong password, quite long'],
  ['account without a password', PASSWORDLESS, PASSWORD],
];

/**
 * Runs `attempt` and returns the argon2 work it did: `<verifications> × <cost>`, e.g.
 * `1 × m=19456,t=2,p=1`. A check against a value that is not a hash, or against a
 * cheaper dummy hash, shows here although it still calls the verifier once.
 */
async function hashesDuring(attempt: () => Promise<void>): Promise<string> {
  const before = hashWork.verifications;
  hashWork.lastCost = '';
  await attempt();
  return `${hashWork.verifications - before} × ${hashWork.lastCost}`;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`sign-in hashing work (${db})`, () => {
    let app: TestApp;
    let sag: { ClientId: string; ClientSecret: string };
    /** One verification against a real account's hash: what a right password costs. */
    let oneVerification: string;
    before(async () => {
      app = await startTestApp({ db });
      const active = await createAccount(app.store, { email: ACTIVE, password: PASSWORD }, Date.now());
      oneVerification = `1 × ${(await app.store.users.findById(active.id))!.passwordHash!.split('$')[3]}`;
      assert.equal(oneVerification, '1 × m=19456,t=2,p=1', 'argon2id at the OWASP parameters');
      const off = await createAccount(app.store, { email: DISABLED, password: PASSWORD }, Date.now());
      await app.store.users.setDisabled(off.id, true, Date.now());
      await createAccount(app.store, { email: PASSWORDLESS, password: null }, Date.now());
      const { client, secret } = await registerClient(app.store, { name: 'SaG', redirectUris: ['https://partner.example/cb'], isPublic: false }, Date.now());
      sag = { ClientId: client.clientId, ClientSecret: secret! };
    });
    after(() => app.close());

    it('the browser sign-in verifies exactly one hash per attempt, whoever the account', async () => {
      const agent = new Agent(app.url);
      const { url } = await agent.follow('/bff/login', (u) => u.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;
      const login = (email: string, password: string) => agent.api('POST', `/bff/interaction/${uid}/login`, { email, password });
      for (const [name, email, password] of FAILURES) {
        let status = 0;
        const n = await hashesDuring(async () => {
          const res = await login(email, password);
          status = res.status;
          assert.equal((await res.json()).error, 'invalid_credentials', name);
        });
        assert.equal(status, 401, name);
        assert.equal(n, oneVerification, name);
      }
      const n = await hashesDuring(async () => assert.equal((await login(ACTIVE, PASSWORD)).status, 200));
      assert.equal(n, oneVerification, 'a right password');
    });

    it('SaG verifies exactly one hash per attempt, whoever the account', async () => {
      const send = (Username: string, Password: string) =>
        fetch(`${app.url}/admin/login/auth_code`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...sag, Username, Password }),
        });
      for (const [name, email, password] of FAILURES) {
        let status = 0;
        const n = await hashesDuring(async () => {
          const res = await send(email, password);
          status = res.status;
          assert.equal((await res.json()).Header.ErrorId, 'invalid_credentials', name);
        });
        assert.equal(status, 401, name);
        assert.equal(n, oneVerification, name);
      }
      assert.equal(await hashesDuring(async () => assert.equal((await send(ACTIVE, PASSWORD)).status, 200)), oneVerification, 'a right password');
    });

    it('the WorkOS password grant verifies exactly one hash per attempt, whoever the account', async () => {
      const send = (email: string, password: string) =>
        fetch(`${app.url}/user_management/authenticate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: sag.ClientId, client_secret: sag.ClientSecret, grant_type: 'password', email, password }),
        });
      for (const [name, email, password] of FAILURES) {
        let status = 0;
        const n = await hashesDuring(async () => {
          const res = await send(email, password);
          status = res.status;
          assert.equal((await res.json()).code, 'invalid_credentials', name);
        });
        assert.equal(status, 400, name);
        assert.equal(n, oneVerification, name);
      }
      assert.equal(await hashesDuring(async () => assert.equal((await send(ACTIVE, PASSWORD)).status, 200)), oneVerification, 'a right password');
    });
  });
}
