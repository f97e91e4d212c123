/**
 * Self-service sign-up (SIGNUP=open): an account made from the sign-in screen
 * starts unverified, and the interaction goes on to the email verification
 * step exactly as after a password. SIGNUP=invite (the default) and closed
 * refuse it; invite-only accounts come from `portal user invite`.
 */
import type { User } from '../store/store.ts';
import type { AuditContext } from '../audit/audit.ts';
import { forbidden } from '../http/errors.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { VerifyDeps } from '../accounts/verify-email.ts';

export interface SignUp {
  email: string;
  name: string;
  password: string;
}

export async function signUp(d: VerifyDeps, input: SignUp, meta: AuditContext): Promise<User> {
  if (d.config.signup !== 'open') {
    throw forbidden(
      'signup_closed',
      d.config.signup === 'invite' ? 'This portal is by invitation only. Ask an administrator for an invitation.' : 'This portal does not take new accounts.',
    );
  }
  const user = await createAccount(d.store, { email: input.email, password: input.password, name: input.name, emailVerified: false }, d.now());
  await d.audit.record('user_created', { ...meta, actorId: user.id, subjectId: user.id, data: { role: user.role, via: 'sign_up' } });
  return user;
}
