/**
 * The login and consent interactions, as JSON for the SPA. Each finishing call
 * answers `{redirectTo}` from `provider.interactionResult`; the SPA navigates.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { currentSession, type SessionDeps } from '../session/guard.ts';
import { impersonationLogin } from '../impersonation/impersonation.ts';
import { parse } from '../http/validate.ts';
import { AppError, notFound, forbidden } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { checkCredentials } from '../accounts/accounts.ts';
import { isHashingBusy } from '../accounts/hash-gate.ts';
import { describeScope } from '../oauth/scopes.ts';
import { PORTAL_RESOURCE } from '../oauth/resource.ts';
import { applyScopes, joinConsent, splitConsent } from '../oauth/grants.ts';
import { completePendingLink, federationInteractionInfo } from '../federation/public.ts';
import type { Mail } from '../mail/mail.ts';
import type { User } from '../store/store.ts';
import type { ImpersonationInteraction, Interaction, LoginAnswer, ScreenInteraction } from '../../api/interaction.ts';
import { signUp } from './sign-up.ts';
import { CODE_SENT_MESSAGE, EMAIL_AMR, readPendingCode, redeemSignInCode, sendSignInCode } from './email-code.ts';
import { SCREEN_PARAM } from '../oauth/client-settings.ts';
import { needsVerification, notWaiting, readPending, sendVerification, verifyCode, verifyLink, type PendingVerification } from '../accounts/verify-email.ts';
import { interactionDetailsOf, type Details } from './details.ts';
import { passkeySignInRoutes } from './passkey-routes.ts';
import { holdForSecondFactor, readPendingSecondFactor, readPendingSetup } from '../mfa/hold.ts';
import { factorsOf } from '../mfa/policy.ts';
import { holdForPasswordChange, readPendingPasswordChange } from './password-change.ts';

const loginBody = z.object({ email: z.string().max(320), password: z.string().max(4096) });
const consentBody = z.object({ scopes: z.array(z.string().max(100)).max(50) });
const codeBody = z.object({ code: z.string().max(20) });
const linkBody = z.object({ token: z.string().max(200) });
const emailBody = z.object({ email: z.string().max(320) });
const signUpBody = z.object({ email: z.string().max(320), name: z.string().max(200).default(''), password: z.string().max(4096) });

function requestedScopes(d: Details): string[] {
  return String(d.params.scope ?? '')
    .split(' ')
    .filter(Boolean);
}

/** Scopes the prompt says are missing from the grant: the ones to ask about. */
function missingScopes(d: Details): Set<string> {
  const det = d.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return new Set([...(det.missingOIDCScope ?? []), ...(det.missingResourceScopes?.[PORTAL_RESOURCE] ?? [])]);
}

/** The sign-in step the interaction waits at (email verification), for a reloaded screen. */
async function waitingFor(
  store: SessionDeps['store'],
  d: Details,
): Promise<{
  verifyEmail?: { email: string };
  emailCode?: { email: string };
  secondFactor?: { factors: string[] };
  secondFactorSetup?: true;
  newPassword?: { email: string };
}> {
  const change = d.prompt.name === 'login' ? readPendingPasswordChange(d.result) : null;
  const changer = change ? await store.users.findById(change.accountId) : null;
  if (changer) return { newPassword: { email: changer.email } };
  if (d.prompt.name === 'login' && readPendingSetup(d.result)) return { secondFactorSetup: true };
  const held = d.prompt.name === 'login' ? readPendingSecondFactor(d.result) : null;
  if (held) return { secondFactor: { factors: await factorsOf(store, held.accountId) } };
  const code = d.prompt.name === 'login' ? readPendingCode(d.result) : null;
  if (code) return { emailCode: { email: code.email } };
  const pending = d.prompt.name === 'login' ? readPending(d.result) : null;
  const u = pending ? await store.users.findById(pending.accountId) : null;
  return u ? { verifyEmail: { email: u.email } } : {};
}

/**
 * What GET /bff/interaction/:uid answers this browser (the interaction is the one its cookie names):
 * also embedded in the HTML of /interaction/:uid (http/spa.ts) so the sign-in screen needs no fetch.
 */
export async function interactionScreen(deps: SessionDeps, req: Request, res: Response): Promise<Interaction> {
  const { provider, store, config } = deps;
  const d = await interactionDetailsOf(provider, req, res);
  // An admin's impersonation request signs this browser in as the target without a password;
  // only the admin who asked, in the same browser, once (impersonation/impersonation.ts).
  if (typeof d.params.impersonation === 'string' && d.prompt.name === 'login') {
    return { uid: d.uid, prompt: 'impersonation' } satisfies ImpersonationInteraction;
  }
  const client = await provider.Client.find(String(d.params.client_id));
  if (!client) throw notFound('interaction_not_found', 'The app that started this sign-in no longer exists.');
  const firstParty = client.metadata().portal_first_party === true;
  let user: { email: string; name: string } | null = null;
  if (d.session?.accountId) {
    const u = await store.users.findById(d.session.accountId);
    if (u) user = { email: u.email, name: u.name };
  }
  const missing = missingScopes(d);
  return {
    uid: d.uid,
    // The provider's prompts here are login and consent (oauth/provider.ts's policy).
    prompt: d.prompt.name as ScreenInteraction['prompt'],
    client: { clientId: client.clientId, name: client.clientName ?? client.clientId, logoUrl: client.logoUri ?? null, firstParty },
    loginHint: typeof d.params.login_hint === 'string' ? d.params.login_hint : null,
    ...(await federationInteractionInfo(deps, req, res, d.uid)),
    user,
    ...(await waitingFor(store, d)),
    signUp: config.signup === 'open',
    // Only where sign-up exists; otherwise the sign-in screen (WorkOS screen_hint=sign-up).
    screen: config.signup === 'open' && d.prompt.name === 'login' && d.params[SCREEN_PARAM] === 'sign-up' ? 'sign-up' : 'sign-in',
    scopes: requestedScopes(d).map((name) => ({ ...describeScope(name), previouslyGranted: d.prompt.name === 'consent' && !missing.has(name) })),
  } satisfies ScreenInteraction;
}

export function interactionRoutes(deps: SessionDeps, mail: Mail): Router {
  const { provider, store, audit, config, now } = deps;
  const r = Router();
  const steps = { ...deps, mail };
  const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

  const details = (req: Request, res: Response) => interactionDetailsOf(provider, req, res);

  async function finish(req: Request, res: Response, result: Parameters<SessionDeps['provider']['interactionResult']>[2]) {
    // A first factor is done: an account with a second factor is asked for it first (sign-in/second-factor.ts).
    // An initial password an administrator set is replaced first (sign-in/password-change.ts).
    const waiting = result.login ? await provider.interactionDetails(req, res) : null;
    const held =
      waiting && result.login ? ((await holdForPasswordChange(deps, waiting, result.login)) ?? (await holdForSecondFactor(deps, waiting, result.login))) : null;
    if (held) {
      res.json(held satisfies LoginAnswer);
      return;
    }
    const redirectTo = await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
    res.json({ redirectTo } satisfies LoginAnswer);
  }

  /** Keeps the pending step on the provider's interaction until it completes or expires. */
  async function wait(d: Details, pending: PendingVerification): Promise<void> {
    d.result = { portalVerification: pending };
    await d.persist();
  }

  function pendingOf(d: Details): PendingVerification {
    const pending = d.prompt.name === 'login' ? readPending(d.result) : null;
    if (!pending) throw notWaiting();
    return pending;
  }

  /** After a first factor (password, sign-up, passkey): the verification step when needed, else finish. */
  async function afterPassword(req: Request, res: Response, d: Details, user: User, amr: string[] = ['pwd']): Promise<void> {
    if (needsVerification(steps, user)) {
      const tokenId = await sendVerification(steps, user, meta(req));
      await wait(d, { accountId: user.id, tokenId, amr });
      res.json({ next: 'verify_email', email: user.email } satisfies LoginAnswer);
      return;
    }
    await finish(req, res, { login: { accountId: user.id, amr, remember: true } });
  }

  // "Sign in with a passkey": the same continuation as a password (mfa/passkey-routes.ts).
  r.use(passkeySignInRoutes(deps, { details, afterFirstFactor: afterPassword }));

  r.get('/interaction/:uid', async (req, res) => {
    res.json(await interactionScreen(deps, req, res));
  });

  r.post('/interaction/:uid/impersonate', async (req, res) => {
    const d = await details(req, res);
    if (typeof d.params.impersonation !== 'string' || d.prompt.name !== 'login')
      throw new AppError('wrong_prompt', 'This step is not an impersonation.', { status: 400 });
    await finish(req, res, await impersonationLogin(deps, await currentSession(deps, req, res), d.params.impersonation));
  });

  r.post('/interaction/:uid/login', async (req, res) => {
    const d = await details(req, res);
    if (d.prompt.name !== 'login' || d.params.impersonation !== undefined)
      throw new AppError('wrong_prompt', 'This step does not expect a sign-in.', { status: 400 });
    const body = parse(loginBody, req.body);
    const meta = { ip: clientIp(req), userAgent: req.get('user-agent') ?? null };
    try {
      const user = await checkCredentials(body.email, body.password, {
        store,
        now: now(),
        maxFailures: config.rateLimit.loginPerAccount,
        windowMs: config.rateLimit.window * 1000,
        ip: meta.ip,
      });
      await audit.record('sign_in', { ...meta, actorId: user.id, subjectId: user.id, data: { method: 'password', clientId: d.params.client_id } });
      await completePendingLink(deps, req, res, d.uid, user);
      await afterPassword(req, res, d, user);
    } catch (e) {
      // A refusal before any check (the hashing queue full: 503 busy) is no failed attempt.
      if (e instanceof AppError && !isHashingBusy(e)) {
        await audit.record('sign_in_failed', {
          ...meta,
          data: { email: body.email.slice(0, 320).toLowerCase(), reason: e.code, clientId: d.params.client_id },
        });
      }
      throw e;
    }
  });

  r.post('/interaction/:uid/verify-email', async (req, res) => {
    const d = await details(req, res);
    const pending = pendingOf(d);
    const { code } = parse(codeBody, req.body);
    const user = await verifyCode(steps, pending, code.trim(), meta(req));
    await finish(req, res, { login: { accountId: user.id, amr: pending.amr, remember: true } });
  });

  r.post('/interaction/:uid/verify-email/resend', async (req, res) => {
    const d = await details(req, res);
    const pending = pendingOf(d);
    const user = await store.users.findById(pending.accountId);
    if (!user || user.disabled) throw notWaiting();
    await wait(d, { ...pending, tokenId: await sendVerification(steps, user, meta(req)) });
    res.json({ ok: true, email: user.email });
  });

  /** After the link was opened (maybe in another browser): finish once the email is verified. */
  r.post('/interaction/:uid/verify-email/continue', async (req, res) => {
    const d = await details(req, res);
    const pending = pendingOf(d);
    const user = await store.users.findById(pending.accountId);
    if (!user || user.disabled) throw notWaiting();
    if (!user.emailVerified)
      throw new AppError('email_not_verified', 'This email is not verified yet. Enter the code from the mail, or open its link first.', { status: 400 });
    await finish(req, res, { login: { accountId: user.id, amr: pending.amr, remember: true } });
  });

  r.post('/verify-email', async (req, res) => {
    const { token } = parse(linkBody, req.body);
    const user = await verifyLink(steps, token, meta(req));
    res.json({ ok: true, email: user.email });
  });

  r.post('/interaction/:uid/sign-up', async (req, res) => {
    const d = await details(req, res);
    if (d.prompt.name !== 'login' || d.params.impersonation !== undefined)
      throw new AppError('wrong_prompt', 'This step does not expect a sign-in.', { status: 400 });
    const user = await signUp(steps, parse(signUpBody, req.body), meta(req));
    await afterPassword(req, res, d, user);
  });

  /** "Email me a sign-in code": the same answer for every email. */
  r.post('/interaction/:uid/email-code', async (req, res) => {
    const d = await details(req, res);
    if (d.prompt.name !== 'login' || d.params.impersonation !== undefined)
      throw new AppError('wrong_prompt', 'This step does not expect a sign-in.', { status: 400 });
    const { email } = parse(emailBody, req.body);
    const pending = await sendSignInCode(steps, email, `${config.publicUrl}/interaction/${d.uid}`, meta(req));
    d.result = { portalEmailCode: pending };
    await d.persist();
    res.json({ next: 'email_code', email: pending.email, message: CODE_SENT_MESSAGE });
  });

  r.post('/interaction/:uid/email-code/verify', async (req, res) => {
    const d = await details(req, res);
    const pending = d.prompt.name === 'login' ? readPendingCode(d.result) : null;
    if (!pending) throw new AppError('wrong_prompt', 'This sign-in is not waiting for an emailed code. Ask for one first.', { status: 400 });
    const { code } = parse(codeBody, req.body);
    try {
      const user = await redeemSignInCode(steps, pending, code.trim());
      await audit.record('sign_in', { ...meta(req), actorId: user.id, subjectId: user.id, data: { method: 'email_code', clientId: d.params.client_id } });
      await completePendingLink(deps, req, res, d.uid, user);
      await finish(req, res, { login: { accountId: user.id, amr: EMAIL_AMR, remember: true } });
    } catch (e) {
      if (e instanceof AppError)
        await audit.record('sign_in_failed', {
          ...meta(req),
          data: { email: pending.email, reason: e.code, method: 'email_code', clientId: d.params.client_id },
        });
      throw e;
    }
  });

  r.post('/interaction/:uid/consent', async (req, res) => {
    const d = await details(req, res);
    if (d.prompt.name !== 'consent') throw new AppError('wrong_prompt', 'This step does not expect a consent decision.', { status: 400 });
    const body = parse(consentBody, req.body);
    const accountId = d.session?.accountId;
    const clientId = String(d.params.client_id);
    if (!accountId) throw notFound('interaction_not_found', 'Sign in again to continue.');
    if ((await currentSession(deps, req, res))?.session.data.impersonation) {
      throw forbidden('impersonation_forbidden', 'You are impersonating this user: consent to a partner app cannot be given on their behalf.');
    }
    const requested = requestedScopes(d);
    const missing = missingScopes(d);
    const chosen = new Set(body.scopes);
    const allowed = requested.filter((s) => describeScope(s).required || chosen.has(s) || !missing.has(s));
    const declined = requested.filter((s) => !allowed.includes(s));

    const previous = await store.consents.find(accountId, clientId);
    const prev = splitConsent(previous);
    // This sign-in session's grant (loadExistingGrant, oauth/grants.ts), else a new one. Never the consent
    // row's grant: when another browser consented after this interaction began, that grant is the other
    // session's, and sharing it would let one session's decision and sign-out change the other's tokens.
    const grant = (d.grantId && (await provider.Grant.find(d.grantId))) || new provider.Grant({ accountId, clientId });
    applyScopes(grant, allowed, declined);
    const grantId = await grant.save();
    const t = now();
    const allAllowed = [...new Set([...prev.allowed.filter((s) => !declined.includes(s)), ...allowed])];
    const allDeclined = [...new Set([...prev.declined.filter((s) => !allowed.includes(s)), ...declined])];
    await store.consents.upsert({
      userId: accountId,
      clientId,
      scopes: joinConsent(allAllowed, allDeclined),
      grantId,
      grantedAt: previous?.grantedAt ?? t,
      updatedAt: t,
    });
    await audit.record('consent_given', {
      actorId: accountId,
      subjectId: accountId,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId, allowed, declined },
    });
    await finish(req, res, { consent: { grantId } });
  });

  r.post('/interaction/:uid/deny', async (req, res) => {
    const d = await details(req, res);
    await audit.record('consent_denied', {
      actorId: d.session?.accountId ?? null,
      subjectId: d.session?.accountId ?? null,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId: d.params.client_id },
    });
    await finish(req, res, { error: 'access_denied', error_description: 'The user denied access to the app.' });
  });

  return r;
}
