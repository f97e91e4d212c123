/**
 * Resetting a person's second factors (a lost phone or security key): their
 * authenticator app, recovery codes and passkeys go, audited. The CLI
 * (`portal user reset-mfa`) and the admin user page both call this. When
 * policy requires a factor, the person sets a new one up at their next visit.
 */
import type { Store, User } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';

export interface RemovedFactors {
  totp: boolean;
  recoveryCodes: number;
  passkeys: number;
}

export async function resetSecondFactors(
  ctx: { store: Store; audit: Audit },
  user: User,
  by: Omit<AuditContext, 'subjectId' | 'data'> & { via: 'cli' | 'admin' },
): Promise<RemovedFactors> {
  const { via, ...meta } = by;
  const totp = await ctx.store.mfa.totp.remove(user.id);
  const recoveryCodes = await ctx.store.mfa.recoveryCodes.removeAll(user.id);
  const passkeys = await ctx.store.passkeys.removeAllForUser(user.id);
  await ctx.audit.record('mfa_reset', { ...meta, subjectId: user.id, data: { via, totp, recoveryCodes, passkeys } });
  return { totp, recoveryCodes, passkeys };
}
