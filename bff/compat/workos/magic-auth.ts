/**
 * WorkOS Magic Auth, translated onto the sign-in code step
 * (sign-in/email-code.ts): `createMagicAuth` (POST /user_management/magic_auth,
 * with the API key) mails the person the same 6-digit code as "Email me a
 * sign-in code" (same throttles, same answer whether or not the email has an
 * account), and `authenticateWithMagicAuth` (grant
 * `urn:workos:oauth:grant-type:magic-auth:code`) redeems it (5 tries, 10
 * minutes, single use). Unlike WorkOS the answer never carries the code: the
 * portal's accounts are shared by every partner, so an API key must not be
 * able to sign anyone in without their mailbox.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import type { ClientRecord } from '../../store/store.ts';
import { findClientBySecret } from '../../oauth/client-auth.ts';
import { normaliseEmail } from '../../accounts/email.ts';
import { CODE_TTL_MS, EMAIL_AMR, redeemSignInCode, sendSignInCode } from '../../sign-in/email-code.ts';
import { authenticateClient, MACHINE_SIGNS_NOBODY_IN, refuseClient, type RequestInfo, type WorkOSHooks } from './exchange.ts';
import { signIn, steps } from './password.ts';
import { invalidClient, invalidGrant } from './map.ts';
import type { CreateMagicAuth, MagicAuthGrant } from './schema.ts';

/** The confidential partner client whose secret is this API key (the SDK's `Authorization: Bearer`). */
export async function clientByApiKey(deps: Deps, bearer: string | null, ip: string | null): Promise<ClientRecord> {
  const client = bearer ? await findClientBySecret(deps.store, bearer) : null;
  if (!client) return refuseClient(deps, null, ip, 'Authenticate with the API key (Authorization: Bearer <client secret>).');
  // Its key must not send sign-in codes, reset or verification mail, nor list or end anyone's sessions.
  if (client.machine) return refuseClient(deps, client.clientId, ip, MACHINE_SIGNS_NOBODY_IN);
  return client;
}

/** Where the pending code of (client, email) is remembered: the newest one wins. */
const keyOf = (clientId: string, email: string) => `workos-magic:${createHash('sha256').update(`${clientId}\n${email}`).digest('base64url')}`;

export async function createMagicAuth(deps: Deps, hooks: WorkOSHooks, body: CreateMagicAuth, info: RequestInfo) {
  const client = await clientByApiKey(deps, info.bearer, info.ip);
  const meta = { ip: body.ip_address ?? info.ip, userAgent: body.user_agent ?? info.userAgent };
  const pending = await sendSignInCode(steps(deps, hooks.mail), body.email, null, meta);
  const now = deps.now();
  await deps.store.settings.set(keyOf(client.clientId, pending.email), pending.tokenId, now + CODE_TTL_MS);
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    object: 'magic_auth',
    id: `magic_auth_${randomBytes(13).toString('hex').toUpperCase()}`,
    // Never whether the email has an account, never the code (see above).
    user_id: null,
    email: pending.email,
    expires_at: at(now + CODE_TTL_MS),
    created_at: at(now),
    updated_at: at(now),
  };
}

export async function authenticateWithMagicAuth(deps: Deps, hooks: WorkOSHooks, body: MagicAuthGrant, info: RequestInfo) {
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  if (presented === undefined) throw invalidClient('This grant needs the client secret (the API key).');
  const email = normaliseEmail(body.email);
  const tokenId = await deps.store.settings.get(keyOf(client.clientId, email));
  if (!tokenId) throw invalidGrant('No sign-in code was sent to this email for this client, or it has expired. Ask for a new one.', 'code_expired');
  const user = await redeemSignInCode(steps(deps, hooks.mail), { email, tokenId }, body.code.trim());
  await deps.audit.record('sign_in', {
    ip: body.ip_address ?? info.ip,
    userAgent: body.user_agent ?? info.userAgent,
    actorId: user.id,
    subjectId: user.id,
    data: { method: 'email_code', via: 'workos', clientId: client.clientId },
  });
  return signIn(deps, hooks, client.clientId, presented, user, EMAIL_AMR, body, info);
}
