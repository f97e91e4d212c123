/**
 * The test side of second factors: the authenticators the test helpers set up
 * (by origin and email), answering the sign-in's second-factor step with the
 * independent TOTP (testing/totp.ts), and setting an authenticator up through
 * the account API as a person would. Admins signed in by signedInAgent get
 * one when MFA_ADMINS=required asks for it, so admin tests keep working.
 */
import type { Agent } from './agent.ts';
import { codeForStep, stepAt } from './totp.ts';

export interface TestFactor {
  secret: string;
  recoveryCodes: string[];
  /** The newest step this helper answered with: the portal refuses it (and older ones) again. */
  lastStep: number;
}

const factors = new Map<string, TestFactor>();
const keyOf = (origin: string, email: string) => `${new URL(origin).origin}|${email.toLowerCase()}`;

export function rememberFactor(origin: string, email: string, secret: string, recoveryCodes: string[], lastStep = 0): TestFactor {
  const f = { secret, recoveryCodes: [...recoveryCodes], lastStep };
  factors.set(keyOf(origin, email), f);
  return f;
}

export const knownFactor = (origin: string, email: string): TestFactor | null => factors.get(keyOf(origin, email)) ?? null;

/**
 * The next answer that has not been used: the current step's code, the next step's (inside the
 * portal's one-step window) when the current one was used, else a recovery code.
 */
export function nextAnswer(f: TestFactor, now = Date.now()): { method: 'totp' | 'recovery_code'; code: string } {
  const step = Math.max(stepAt(now), f.lastStep + 1);
  if (step <= stepAt(now) + 1) {
    f.lastStep = step;
    return { method: 'totp', code: codeForStep(f.secret, step) };
  }
  const code = f.recoveryCodes.shift();
  if (!code) throw new Error('the test factor has no unused code left');
  return { method: 'recovery_code', code };
}

/** Answers the interaction's second-factor step; returns the portal's response. */
export async function answerSecondFactor(agent: Agent, uid: string, email: string): Promise<Response> {
  const f = knownFactor(agent.origin, email);
  if (!f) throw new Error(`no test authenticator is known for ${email}: set one up with enrolTotp first`);
  return agent.api('POST', `/bff/interaction/${uid}/second-factor`, nextAnswer(f));
}

/** Sets up an authenticator app for the signed-in agent through the account API, and remembers it. */
export async function enrolTotp(agent: Agent, email: string): Promise<TestFactor> {
  const setup = await agent.api('POST', '/bff/account/mfa/totp/setup', {});
  if (setup.status !== 200) throw new Error(`TOTP setup failed: ${setup.status} ${await setup.text()}`);
  const { secret } = (await setup.json()) as { secret: string };
  const step = stepAt(Date.now());
  const confirm = await agent.api('POST', '/bff/account/mfa/totp/confirm', { code: codeForStep(secret, step) });
  if (confirm.status !== 200) throw new Error(`TOTP confirm failed: ${confirm.status} ${await confirm.text()}`);
  const { newRecoveryCodes: recoveryCodes } = (await confirm.json()) as { newRecoveryCodes: string[] | null };
  return rememberFactor(agent.origin, email, secret, recoveryCodes ?? [], step);
}

/**
 * Answers a sign-in held until a second factor is set up (MFA_ADMINS / MFA_USERS=required, a
 * partner's sign-in): sets an authenticator app up through the interaction and remembers it.
 */
export async function setUpInInteraction(agent: Agent, uid: string, email: string): Promise<Response> {
  const setup = await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp`, {});
  if (setup.status !== 200) throw new Error(`TOTP setup in the sign-in failed: ${setup.status} ${await setup.text()}`);
  const { secret } = (await setup.json()) as { secret: string };
  const step = stepAt(Date.now());
  const res = await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp/confirm`, { code: codeForStep(secret, step) });
  if (res.status === 200)
    rememberFactor(agent.origin, email, secret, ((await res.clone().json()) as { newRecoveryCodes: string[] | null }).newRecoveryCodes ?? [], step);
  return res;
}
