/** `portal user reset-mfa --email E`: removes a user's authenticator app and recovery codes (a lost phone), audited. */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { normaliseEmail } from '../accounts/email.ts';

export const MFA_USAGE = '  user reset-mfa --email E              (removes their authenticator app and recovery codes)';

export async function resetMfa(ctx: { store: Store; audit: Audit }, opts: Record<string, unknown>): Promise<unknown> {
  if (typeof opts.email !== 'string' || !opts.email) throw badRequest('missing_option', '--email is required');
  const email = normaliseEmail(opts.email);
  const user = await ctx.store.users.findByEmail(email);
  if (!user) throw notFound('user_not_found', `no user with the email ${email}`);
  const totp = await ctx.store.mfa.totp.remove(user.id);
  const recoveryCodes = await ctx.store.mfa.recoveryCodes.removeAll(user.id);
  await ctx.audit.record('mfa_reset', { subjectId: user.id, data: { via: 'cli', totp, recoveryCodes } });
  return { email: user.email, removed: { totp, recoveryCodes } };
}
