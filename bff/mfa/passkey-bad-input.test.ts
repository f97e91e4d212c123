/**
 * Passkey answers that must be refused: wrong, expired, replayed or cross-user
 * challenges, malformed responses, a foreign origin or key, a counter going
 * backwards (a cloned authenticator). Each gets a clear 4xx, never a 500, never a session.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { CHALLENGE_TTL_MS, secondFactorOptions, verifyPasskeySecondFactor } from './passkeys.ts';
import { answerWith, atSignIn, registerWith, signedIn, signInOptions } from './passkey-test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const META = { ip: null, userAgent: null };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`passkey bad input (${db})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    async function holder(): Promise<{ user: User; agent: Agent; auth: SoftAuthenticator }> {
      const email = `holder${++n}@example.com`;
      const user = await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const agent = await signedInAgent(app.url, email, PASSWORD);
      const auth = new SoftAuthenticator({ origin: app.url });
      assert.equal((await registerWith(agent, auth)).status, 201);
      return { user, agent, auth };
    }

    /** The answer is refused with `status` and `code`, and the browser holds no session. */
    async function refused(agent: Agent, res: Response, status: number, code: string): Promise<void> {
      const body = (await res.json()) as { error: string; message: string };
      assert.deepEqual({ status: res.status, error: body.error }, { status, error: code });
      assert.ok(body.message.length > 20, 'a sentence a person can act on');
      assert.equal(await signedIn(agent), false);
    }

    it('an unknown challenge, and one past its five minutes', async () => {
      const { auth } = await holder();
      const a = await atSignIn(app);
      await refused(a.agent, await answerWith(a.agent, a.uid, auth, { challenge: 'bm90LWEtY2hhbGxlbmdl' }), 400, 'passkey_challenge_invalid');
      const b = await atSignIn(app);
      const options = await signInOptions(b.agent, b.uid);
      app.clock.offset = CHALLENGE_TTL_MS + 1000;
      try {
        await refused(b.agent, await answerWith(b.agent, b.uid, auth, {}, options), 400, 'passkey_challenge_invalid');
      } finally {
        app.clock.offset = 0;
      }
    });

    it('a replayed assertion, another interaction’s challenge, and a registration challenge used to sign in', async () => {
      const { auth, agent: owner } = await holder();
      const first = await atSignIn(app);
      const options = await signInOptions(first.agent, first.uid);
      const assertion = auth.get(options);
      assert.equal((await first.agent.api('POST', `/bff/interaction/${first.uid}/passkey`, { response: assertion })).status, 200);
      const replay = await atSignIn(app);
      await refused(
        replay.agent,
        await replay.agent.api('POST', `/bff/interaction/${replay.uid}/passkey`, { response: assertion }),
        400,
        'passkey_challenge_invalid',
      );

      const x = await atSignIn(app);
      const y = await atSignIn(app);
      await refused(y.agent, await answerWith(y.agent, y.uid, auth, {}, await signInOptions(x.agent, x.uid)), 400, 'passkey_challenge_invalid');

      const reg = (await (await owner.api('POST', '/bff/account/passkeys/options', {})).json()) as { options: { challenge: string } };
      const z = await atSignIn(app);
      await refused(z.agent, await answerWith(z.agent, z.uid, auth, { challenge: reg.options.challenge }), 400, 'passkey_challenge_invalid');
    });

    it('another user’s registration challenge', async () => {
      const a = await holder();
      const b = await holder();
      const { options } = (await (await a.agent.api('POST', '/bff/account/passkeys/options', {})).json()) as {
        options: { challenge: string; rp: { id: string }; user: { id: string } };
      };
      const res = await b.agent.api('POST', '/bff/account/passkeys', { name: 'Mine', response: new SoftAuthenticator({ origin: app.url }).create(options) });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'passkey_challenge_invalid');
      assert.equal((await app.store.passkeys.listForUser(b.user.id)).length, 1);
      assert.equal((await app.store.passkeys.listForUser(a.user.id)).length, 1);
    });

    it('malformed responses', async () => {
      const { auth } = await holder();
      const { agent, uid } = await atSignIn(app);
      const good = auth.get(await signInOptions(agent, uid));
      const notJson = Buffer.from('not json').toString('base64url');
      for (const response of [
        undefined,
        'a string',
        { ...good, type: 'password' },
        { ...good, id: 'has spaces and é' },
        { ...good, response: { ...good.response, signature: undefined } },
        { ...good, response: { ...good.response, clientDataJSON: notJson } },
        { ...good, response: { ...good.response, authenticatorData: 'x'.repeat(20_000) } },
      ]) {
        await refused(agent, await agent.api('POST', `/bff/interaction/${uid}/passkey`, { response }), 400, 'passkey_malformed');
      }
      const truncated = auth.get(await signInOptions(agent, uid));
      const res = await agent.api('POST', `/bff/interaction/${uid}/passkey`, {
        response: { ...truncated, response: { ...truncated.response, authenticatorData: 'AAAA' } },
      });
      await refused(agent, res, 401, 'passkey_rejected');
    });

    it('a foreign origin, a foreign key, a foreign user handle, a disabled account', async () => {
      const { auth, user } = await holder();
      for (const over of [{ origin: 'https://evil.example' }, { foreignKey: true }, { userHandle: Buffer.from('someone-else').toString('base64url') }]) {
        const { agent, uid } = await atSignIn(app);
        await refused(agent, await answerWith(agent, uid, auth, over), 401, 'passkey_rejected');
      }
      await app.store.users.setDisabled(user.id, true, Date.now());
      const { agent, uid } = await atSignIn(app);
      await refused(agent, await answerWith(agent, uid, auth), 401, 'passkey_rejected');
    });

    it('a counter that stands still or goes backwards is refused and audited as a possible clone', async () => {
      const { auth, user } = await holder();
      const ok = await atSignIn(app);
      assert.equal((await answerWith(ok.agent, ok.uid, auth, { counter: 7 })).status, 200);
      for (const counter of [7, 3]) {
        const { agent, uid } = await atSignIn(app);
        await refused(agent, await answerWith(agent, uid, auth, { counter }), 401, 'passkey_counter_error');
      }
      const clones = await app.store.audit.list({ kind: 'passkey_clone_suspected', subjectId: user.id });
      assert.deepEqual(clones.map((e) => [e.data.storedCounter, e.data.presentedCounter]).reverse(), [
        [7, 7],
        [7, 3],
      ]);
      assert.equal((await app.store.passkeys.listForUser(user.id))[0]!.signCount, 7);
    });

    it('as a second factor, only the user’s own passkey in the interaction that asked', async () => {
      const a = await holder();
      const b = await holder();
      const options = await secondFactorOptions(app.deps, a.user.id, 'uid-1');
      await assert.rejects(verifyPasskeySecondFactor(app.deps, a.user.id, b.auth.get(options), 'uid-1', META), { code: 'passkey_rejected' });
      const again = await secondFactorOptions(app.deps, a.user.id, 'uid-1');
      await assert.rejects(verifyPasskeySecondFactor(app.deps, b.user.id, b.auth.get(again), 'uid-1', META), { code: 'passkey_challenge_invalid' });
      const other = await secondFactorOptions(app.deps, a.user.id, 'uid-1');
      await assert.rejects(verifyPasskeySecondFactor(app.deps, a.user.id, a.auth.get(other), 'uid-2', META), { code: 'passkey_challenge_invalid' });
      const right = await secondFactorOptions(app.deps, a.user.id, 'uid-1');
      const use = await verifyPasskeySecondFactor(app.deps, a.user.id, a.auth.get(right), 'uid-1', META);
      assert.deepEqual({ user: use.user.id, amr: use.amr }, { user: a.user.id, amr: ['hwk', 'user'] });
    });
  });
}
