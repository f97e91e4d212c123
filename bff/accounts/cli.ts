/**
 * The `portal user …` commands about mail: `reset-link` prints a password
 * reset link (or, with --mail, queues the mail for the running portal's
 * worker to deliver). The CLI's switch calls runUserMailCommand.
 */
import type { Store, User } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { enqueueMail, mailSealer } from '../mail/outbox.ts';
import { passwordResetMail } from '../mail/messages.ts';
import { portalName } from '../mail/templates.ts';
import { mailDisabled } from '../mail/mail.ts';
import { normaliseEmail } from './email.ts';
import { RESET_TTL_MS, issueResetLink } from './password-reset.ts';
import { INVITE_TTL_MS, inviteUser } from './invitations.ts';
import { invitationMail } from '../mail/messages.ts';

export const USER_MAIL_USAGE = `  user reset-link --email E [--mail]    (prints a 30-minute, single-use link; --mail sends it instead)
  user invite --email E [--name N] [--print]   (mails a 7-day link to set a password; --print prints it instead)`;

export interface UserMailContext {
  store: Store;
  audit: Audit;
  config: Config;
  now: number;
}

export async function runUserMailCommand(action: string, opts: Record<string, unknown>, ctx: UserMailContext): Promise<unknown> {
  if (action === 'invite') return invite(opts, ctx);
  if (action !== 'reset-link') throw badRequest('unknown_command', `unknown command: user ${action}`);
  const raw = opts.email;
  if (typeof raw !== 'string' || !raw) throw badRequest('missing_option', '--email is required');
  const user = await ctx.store.users.findByEmail(normaliseEmail(raw));
  if (!user) throw notFound('user_not_found', `no user with the email ${normaliseEmail(raw)}`);
  if (user.disabled) throw badRequest('user_disabled', `${user.email} is disabled: enable it first (portal user enable --email ${user.email})`);
  if (opts.mail === true && ctx.config.mail.mode === 'off') throw mailDisabled();
  const { link, expiresAt } = await issueResetLink(ctx, user, ctx.now);
  const via = opts.mail === true ? 'mail' : 'printed';
  await ctx.audit.record('password_reset_link_issued', { subjectId: user.id, data: { via: 'cli', delivery: via } });
  if (opts.mail !== true) return { email: user.email, link, expires_at: new Date(expiresAt).toISOString() };
  // Queued only: a running portal's worker delivers it (this process exits at once).
  const content = passwordResetMail(portalName(ctx.config.mail.from), link, RESET_TTL_MS / 60_000);
  const id = await enqueueMail(
    ctx.store,
    mailSealer(ctx.config.dataEncryptionKeys),
    'password_reset',
    { address: user.email, name: user.name },
    content,
    ctx.now,
  );
  return { email: user.email, queued: id, expires_at: new Date(expiresAt).toISOString() };
}

async function invite(opts: Record<string, unknown>, ctx: UserMailContext): Promise<unknown> {
  if (typeof opts.email !== 'string' || !opts.email) throw badRequest('missing_option', '--email is required');
  const print = opts.print === true;
  if (!print && ctx.config.mail.mode === 'off') throw mailDisabled();
  const sent = await sendAccountInvitation(ctx, opts.email, typeof opts.name === 'string' ? opts.name : undefined, { via: 'cli', print });
  return { email: sent.user.email, ...(print ? { link: sent.link } : { queued: sent.queued }), expires_at: new Date(sent.expiresAt).toISOString() };
}

/**
 * Creates (or renews) the account invitation of `email` and, unless `print`,
 * queues its mail for the worker; audited as `user_invited`. Shared by
 * `portal user invite` and `portal org invite`.
 */
export async function sendAccountInvitation(
  ctx: UserMailContext,
  email: string,
  name: string | undefined,
  o: { via: string; print: boolean },
): Promise<{ user: User; link: string; expiresAt: number; queued: string | null }> {
  const { user, link, expiresAt } = await inviteUser(ctx, email, name, ctx.now);
  await ctx.audit.record('user_invited', { subjectId: user.id, data: { via: o.via, delivery: o.print ? 'printed' : 'mail' } });
  if (o.print) return { user, link, expiresAt, queued: null };
  // Queued only: a running portal's worker delivers it (this process exits at once).
  const content = invitationMail(portalName(ctx.config.mail.from), link, INVITE_TTL_MS / 86_400_000);
  const queued = await enqueueMail(
    ctx.store,
    mailSealer(ctx.config.dataEncryptionKeys),
    'invitation',
    { address: user.email, name: user.name },
    content,
    ctx.now,
  );
  return { user, link, expiresAt, queued };
}
