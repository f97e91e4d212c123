/**
 * The `portal org …` commands: create, list, invite. The CLI's switch calls
 * runOrgCommand and prints what it returns as JSON.
 */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest } from '../http/errors.ts';
import type { Config } from '../config/config.ts';
import { mailDisabled } from '../mail/mail.ts';
import { sendAccountInvitation } from '../accounts/cli.ts';
import { normaliseEmail } from '../accounts/email.ts';
import { createInvitation, createOrganization, resolveOrganization } from './orgs.ts';

export const ORG_USAGE = `  org create --name N
  org list
  org invite --org ORG_ID_OR_NAME --email E [--role R] [--name N] [--print]
      (prints the invitation token, once; a person without a password yet is also
       mailed the link to set one, as by user invite; --print prints that link instead)`;

export interface OrgCommandContext {
  store: Store;
  audit: Audit;
  config: Config;
  now: number;
}

function need(opts: Record<string, unknown>, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || !v) throw badRequest('missing_option', `--${name} is required`);
  return v;
}

export async function runOrgCommand(action: string, opts: Record<string, unknown>, ctx: OrgCommandContext): Promise<unknown> {
  const { store, audit, now } = ctx;
  switch (action) {
    case 'create': {
      const org = await createOrganization(store, need(opts, 'name'), now);
      await audit.record('org_created', { data: { organizationId: org.id, name: org.name, via: 'cli' } });
      return { id: org.id, name: org.name };
    }
    case 'list':
      return (await store.orgs.list()).map((o) => ({ id: o.id, name: o.name, created_at: new Date(o.createdAt).toISOString() }));
    case 'invite': {
      const org = await resolveOrganization(store, need(opts, 'org'));
      const role = typeof opts.role === 'string' ? opts.role : undefined;
      const print = opts.print === true;
      // Someone who can already sign in needs no account mail: the partner redeems the token at their next sign-in.
      const existing = await store.users.findByEmail(normaliseEmail(need(opts, 'email')));
      const needsAccount = !existing?.passwordHash;
      if (needsAccount && !print && ctx.config.mail.mode === 'off') throw mailDisabled();
      const { invitation, token } = await createInvitation(store, { organizationId: org.id, email: need(opts, 'email'), role }, now);
      await audit.record('invitation_created', {
        data: { invitationId: invitation.id, organizationId: org.id, email: invitation.email, role: invitation.role, via: 'cli' },
      });
      const account = !needsAccount
        ? null
        : await sendAccountInvitation(ctx, invitation.email, typeof opts.name === 'string' ? opts.name : undefined, { via: 'cli org invite', print });
      return {
        invitation_id: invitation.id,
        organization_id: org.id,
        email: invitation.email,
        role: invitation.role,
        invitation_token: token,
        expires_at: new Date(invitation.expiresAt).toISOString(),
        account_invitation: account ? (print ? { link: account.link } : { queued: account.queued }) : 'not needed: the account already has a password',
      };
    }
    default:
      throw badRequest('unknown_command', `unknown command: org ${action}`);
  }
}
