/**
 * `getAuthorizationUrl({ screenHint: 'sign-up' })` (official SDK): with
 * SIGNUP=open the portal's interaction opens on the sign-up screen; where
 * sign-up does not exist (the default, invite) it opens on sign-in.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { Agent } from '../../testing/agent.ts';
import { browse } from '../../federation/test-helpers.ts';
import { partner, REDIRECT, sdk, type Partner } from './test-helpers.ts';

/** Follows the SDK's authorize URL to the portal's interaction and answers what the SPA is told to show. */
async function screenFor(app: TestApp, conf: Partner, screenHint?: 'sign-up' | 'sign-in'): Promise<{ screen: unknown; signUp: unknown }> {
  const url = sdk(app, conf, false).userManagement.getAuthorizationUrl({
    clientId: conf.clientId,
    redirectUri: REDIRECT,
    state: 's',
    provider: 'authkit',
    ...(screenHint ? { screenHint } : {}),
  });
  const agent = new Agent(app.url);
  const { url: end } = await browse(agent, url, (u) => u.pathname.startsWith('/interaction/'));
  assert.match(end.pathname, /^\/interaction\//, `expected the sign-in interaction, got ${end.href}`);
  const info = (await (await agent.api('GET', `/bff/interaction/${end.pathname.split('/')[2]}`)).json()) as Record<string, unknown>;
  assert.equal(info.prompt, 'login');
  return { screen: info.screen, signUp: info.signUp };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authorize screen_hint (${db})`, () => {
    let open: TestApp;
    let invite: TestApp;
    let openPartner: Partner;
    let invitePartner: Partner;
    before(async () => {
      open = await startTestApp({ db, env: { SIGNUP: 'open' } });
      invite = await startTestApp({ db });
      openPartner = await partner(open, false);
      invitePartner = await partner(invite, false);
    });
    after(async () => {
      await open?.close();
      await invite?.close();
    });

    it('SIGNUP=open: screen_hint=sign-up opens the sign-up screen; sign-in or none opens sign-in', async () => {
      assert.deepEqual(await screenFor(open, openPartner, 'sign-up'), { screen: 'sign-up', signUp: true });
      assert.deepEqual(await screenFor(open, openPartner, 'sign-in'), { screen: 'sign-in', signUp: true });
      assert.deepEqual(await screenFor(open, openPartner), { screen: 'sign-in', signUp: true });
    });

    it('SIGNUP=invite (default): screen_hint=sign-up opens the sign-in screen', async () => {
      assert.deepEqual(await screenFor(invite, invitePartner, 'sign-up'), { screen: 'sign-in', signUp: false });
    });
  });
}
