/** `portal user reset-mfa --email E`: removes a user's authenticator app, recovery codes and passkeys (a lost phone or key), audited. */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { normaliseEmail } from '../accounts/email.ts';
import { resetSecondFactors } from './reset.ts';

export const MFA_USAGE = '  user reset-mfa --email E              (removes their authenticator app, recovery codes and passkeys)';

export async function resetMfa(ctx: { store: Store; audit: Audit }, opts: Record<string, unknown>): Promise<unknown> {
  if (typeof opts.email !== 'string' || !opts.email) throw badRequest('missing_option', '--email is required');
  const email = normaliseEmail(opts.email);
  const user = await ctx.store.users.findByEmail(email);
  if (!user) throw notFound('user_not_found', `no user with the email ${email}`);
  const removed = await resetSecondFactors(ctx, user, { via: 'cli' });
  return { email: user.email, removed };
}
