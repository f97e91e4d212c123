/** Shared steps of the passkey tests: register through the account API, sign in through the interaction. */
import assert from 'node:assert/strict';
import { Agent } from '../testing/agent.ts';
import type { TestApp } from '../testing/test-app.ts';
import type { SoftAuthenticator, AssertionOverrides } from '../testing/soft-authenticator.ts';

type Options = { challenge: string; rpId?: string };

/** Registers a passkey held by `auth` for the signed-in `agent`; returns the API's answer. */
export async function registerWith(agent: Agent, auth: SoftAuthenticator, name = 'Laptop'): Promise<Response> {
  const res = await agent.api('POST', '/bff/account/passkeys/options', {});
  assert.equal(res.status, 200);
  const { options } = (await res.json()) as { options: Options & { rp: { id: string }; user: { id: string } } };
  return agent.api('POST', '/bff/account/passkeys', { name, response: auth.create(options) });
}

/** A fresh browser at the sign-in interaction of the portal's own client. */
export async function atSignIn(app: TestApp, start = '/bff/login?returnTo=/account'): Promise<{ agent: Agent; uid: string }> {
  const agent = new Agent(app.url);
  const { url } = await agent.follow(start, (u) => u.pathname.startsWith('/interaction/'));
  return { agent, uid: url.pathname.split('/')[2]! };
}

export async function signInOptions(agent: Agent, uid: string): Promise<Options> {
  const res = await agent.api('POST', `/bff/interaction/${uid}/passkey/options`, {});
  assert.equal(res.status, 200);
  return ((await res.json()) as { options: Options }).options;
}

/** Answers the interaction with a passkey assertion (optionally broken by `over`). */
export async function answerWith(agent: Agent, uid: string, auth: SoftAuthenticator, over: AssertionOverrides = {}, options?: Options): Promise<Response> {
  const opts = options ?? (await signInOptions(agent, uid));
  return agent.api('POST', `/bff/interaction/${uid}/passkey`, { response: auth.get(opts, over) });
}

/** Whether the agent holds a signed-in BFF session. */
export async function signedIn(agent: Agent): Promise<boolean> {
  const res = await agent.api('GET', '/bff/session');
  return ((await res.json()) as { authenticated: boolean }).authenticated;
}
