/**
 * Shared by the impersonation tests: starting an impersonation exactly as the
 * SPA does, and reading the BFF session row behind a browser's cookie.
 */
import assert from 'node:assert/strict';
import { unsealData } from 'iron-session';
import type { TestApp } from '../testing/test-app.ts';
import type { Agent } from '../testing/agent.ts';

/** Starts an impersonation as the SPA does: start, then the provider's sign-in-as step, then the callback. */
export async function impersonate(agent: Agent, body: Record<string, unknown>): Promise<Response> {
  const start = await agent.api('POST', '/bff/impersonation/start', body);
  if (start.status !== 200) return start;
  const { redirectTo } = await start.json();
  const { url } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/'));
  const uid = url.pathname.split('/')[2]!;
  const info = await (await agent.api('GET', `/bff/interaction/${uid}`)).json();
  assert.equal(info.prompt, 'impersonation');
  const step = await agent.api('POST', `/bff/interaction/${uid}/impersonate`, {});
  assert.equal(step.status, 200, await step.clone().text());
  const { url: landed, res } = await agent.follow((await step.json()).redirectTo);
  assert.equal(landed.pathname, '/account', `${res.status} ${await res.text()}`);
  return new Response(JSON.stringify({ ok: true }), { status: 200 });
}

/** The BFF session row behind the agent's session cookie. */
export async function sessionRow(app: TestApp, agent: Agent) {
  const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(agent.jar.get(app.deps.cookies.session.cookieName)!.value), {
    password: app.config.cookieSecrets as Record<string, string>,
  });
  return (await app.store.bffSessions.find(sid))!;
}
