/**
 * Inviting someone to an organization, for the CLI (`portal org invite`) and
 * the console alike: the invitation (its token shown once) and, for a person
 * who cannot sign in yet, the account invitation mail (accounts/cli.ts).
 */
import type { Store } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import { mailDisabled } from '../mail/mail.ts';
import { sendAccountInvitation } from '../accounts/cli.ts';
import { normaliseEmail } from '../accounts/email.ts';
import { createInvitation, type CreatedInvitation } from './orgs.ts';
import type { Organization } from '../store/orgs.ts';

export interface InviteContext {
  store: Store;
  audit: Audit;
  config: Config;
  now: number;
}

export interface OrgInvitationSent extends CreatedInvitation {
  /** The account mail for someone without a password: its link when printed, its outbox id when queued; null when not needed. */
  account: { link: string; queued: string | null } | null;
}

export async function inviteToOrganization(
  ctx: InviteContext,
  org: Organization,
  input: { email: string; role?: string; name?: string },
  o: { via: string; print: boolean; meta?: AuditContext },
): Promise<OrgInvitationSent> {
  // Someone who can already sign in needs no account mail: the partner redeems the token at their next sign-in.
  const existing = await ctx.store.users.findByEmail(normaliseEmail(input.email ?? ''));
  const needsAccount = !existing?.passwordHash;
  if (needsAccount && !o.print && ctx.config.mail.mode === 'off') throw mailDisabled();
  const created = await createInvitation(ctx.store, { organizationId: org.id, email: input.email, role: input.role }, ctx.now);
  const { invitation } = created;
  await ctx.audit.record('invitation_created', {
    ...o.meta,
    data: { invitationId: invitation.id, organizationId: org.id, email: invitation.email, role: invitation.role, via: o.via },
  });
  const account = needsAccount ? await sendAccountInvitation(ctx, invitation.email, input.name, { via: `${o.via} org invite`, print: o.print }) : null;
  return { ...created, account: account && { link: account.link, queued: account.queued } };
}
