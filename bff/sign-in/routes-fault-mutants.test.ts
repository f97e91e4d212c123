/**
 * The emailed sign-in code (sign-in/routes.ts) when something other than a refusal goes wrong
 * after the code was taken: a failure of the portal (here the store failing once to record the
 * sign-in time) is a 500, not a failed sign-in attempt, so no `sign_in_failed` entry names the
 * person; a wrong code still is one. Through the real app, provider, SMTP and database (a SQLite
 * file and a PostgreSQL schema); the store is the real one, with that one call made to fail once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.ts';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'a long enough passphrase 9';
const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);

/** The real store, whose users.touchSignIn fails once (a plain Error, as a broken disk gives) while `fault.armed`. */
function failingOnce(store: Store, fault: { armed: boolean }): Store {
  const users = new Proxy(store.users, {
    get(target, key) {
      const v = Reflect.get(target, key) as unknown;
      if (typeof v !== 'function') return v;
      const f = v.bind(target) as (...args: unknown[]) => Promise<unknown>;
      if (key !== 'touchSignIn') return f;
      return async (...args: unknown[]) => {
        if (fault.armed) {
          fault.armed = false;
          throw new Error('the disk is full');
        }
        return f(...args);
      };
    },
  });
  return new Proxy(store, { get: (target, key) => (key === 'users' ? users : Reflect.get(target, key)) });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the emailed sign-in code when the portal fails (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let drop: () => Promise<void>;
    const fault = { armed: false };
    before(async () => {
      inbox = await startInbox();
      const temp = await tempStore(db);
      drop = temp.drop;
      app = await startTestApp({ store: failingOnce(temp.store, fault), env: { SMTP_URL: inbox.url } });
    });
    after(async () => {
      await app.close();
      await drop();
      await inbox.close();
    });

    it('a failure after the code was taken is a 500, not audited as a failed sign-in; a wrong code is', { timeout: 20000 }, async () => {
      const email = `fault-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, name: 'Fay' }, Date.now());
      const failed = async () => (await app.store.audit.list({ kind: 'sign_in_failed' })).length;
      const agent = new Agent(app.url);
      const { url } = await agent.follow('/bff/login?returnTo=/account', (u) => u.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;
      assert.equal((await agent.api('POST', `/bff/interaction/${uid}/email-code`, { email })).status, 200);
      const code = codeIn((await inbox.waitForTo(email, 1)).at(-1)!.mail.text ?? '');
      const wrong = await agent.api('POST', `/bff/interaction/${uid}/email-code/verify`, { code: code === '000000' ? '111111' : '000000' });
      assert.equal(wrong.status, 400);
      assert.equal(await failed(), 1);

      fault.armed = true;
      const broken = await agent.api('POST', `/bff/interaction/${uid}/email-code/verify`, { code });
      assert.equal(broken.status, 500, await broken.clone().text());
      assert.equal(fault.armed, false, 'the store failed once');
      assert.equal(await failed(), 1, 'no failed sign-in recorded for a failure of the portal');
      assert.equal((await app.store.audit.list({ kind: 'sign_in' })).length, 0);
    });
  });
}
