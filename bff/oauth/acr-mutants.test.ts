/**
 * `acr_values=mfa` (acr.ts), pinned where mutation testing (docs/mutation.md)
 * needs it: discovery lists exactly `mfa`; a session signed in with a password
 * only is asked to sign in again when a partner asks for `mfa` (alone or among
 * other values, matched exactly), and not otherwise; a session that passed a
 * second factor is not asked; the sign-in made in that very interaction is
 * not asked again (no loop); and `prompt=none` gets `interaction_required` with the
 * check's own sentence; the interaction records the check's reason (and only
 * `no_session` for a browser without a session). Real app, provider and database; SQLite and
 * PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { enrolTotp } from '../testing/second-factor.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`acr_values=mfa (${db})`, () => {
    let app: TestApp;
    let clientId: string;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
      await createAccount(app.store, { email: 'tess@example.com', password: PASSWORD }, Date.now());
      await enrolTotp(await signedInAgent(app.url, 'tess@example.com', PASSWORD), 'tess@example.com');
      clientId = (await registerClient(app.store, { name: 'Partner', redirectUris: [REDIRECT], isPublic: true, scopes: ['openid', 'email'] }, Date.now()))
        .client.clientId;
    });
    after(() => app.close());

    const authorizeUrl = (extra: Record<string, string>) =>
      `/oauth/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's1', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra })}`;
    /** What the provider asks this browser for: the interaction's prompt, or where it sends the browser back. */
    async function ask(agent: Agent, extra: Record<string, string>): Promise<string> {
      const { url } = await agent.follow(authorizeUrl(extra), (u) => u.pathname.startsWith('/interaction/'));
      if (!url.pathname.startsWith('/interaction/')) return url.href;
      return ((await (await agent.api('GET', `/bff/interaction/${url.pathname.split('/')[2]}`)).json()) as { prompt: string }).prompt;
    }

    /** Why the provider asks a browser to sign in: the reasons its interaction records. */
    async function reasons(agent: Agent, extra: Record<string, string>): Promise<string[]> {
      const { url } = await agent.follow(authorizeUrl(extra), (u) => u.pathname.startsWith('/interaction/'));
      const interaction = await app.provider.Interaction.find(url.pathname.split('/')[2]!);
      return [...(interaction!.prompt.reasons as string[])].sort();
    }

    it('records its own reason, beside the missing session for a browser with none', { timeout: 20000 }, async () => {
      assert.deepEqual(await reasons(new Agent(app.url), { acr_values: 'mfa' }), ['no_session']);
      assert.deepEqual(await reasons(new Agent(app.url), {}), ['no_session']);
      assert.deepEqual(await reasons(await signedInAgent(app.url, 'pat@example.com', PASSWORD), { acr_values: 'mfa' }), ['mfa_requested']);
    });

    it('discovery lists exactly mfa', { timeout: 20000 }, async () => {
      const discovery = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[] };
      assert.deepEqual(discovery.acr_values_supported, ['mfa']);
    });

    it('asks a password-only session to sign in again for mfa, matched exactly, and not otherwise', { timeout: 60000 }, async () => {
      const agent = await signedInAgent(app.url, 'pat@example.com', PASSWORD);
      assert.equal(await ask(agent, {}), 'consent');
      assert.equal(await ask(agent, { acr_values: 'mfa' }), 'login');
      assert.equal(await ask(agent, { acr_values: 'urn:other mfa' }), 'login');
      assert.equal(await ask(agent, { acr_values: 'mfa2' }), 'consent');
      assert.equal(await ask(agent, { acr_values: 'MFA' }), 'consent');
      // prompt=none: the check's own sentence comes back to the partner.
      const none = new URL(await ask(agent, { acr_values: 'mfa', prompt: 'none' }));
      assert.equal(`${none.origin}${none.pathname}`, REDIRECT);
      assert.deepEqual(Object.fromEntries(none.searchParams), {
        error: 'interaction_required',
        error_description: 'the client asked for a sign-in with a second factor',
        state: 's1',
        iss: app.config.issuer,
      });
      // The sign-in made in that interaction (still without a second factor: the user has none) is not asked again.
      const end = await authorizeThrough(agent, authorizeUrl({ acr_values: 'mfa' }), { email: 'pat@example.com', password: PASSWORD });
      assert.equal(`${end.origin}${end.pathname}`, REDIRECT);
      assert.ok(end.searchParams.get('code'));
    });

    it('does not ask a session that passed a second factor', { timeout: 60000 }, async () => {
      // A fresh browser: the sign-in answers the second-factor step (testing/second-factor.ts).
      const agent = await signedInAgent(app.url, 'tess@example.com', PASSWORD);
      assert.equal(await ask(agent, { acr_values: 'mfa' }), 'consent');
      assert.equal(await ask(agent, {}), 'consent');
    });
  });
}
