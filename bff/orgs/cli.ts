/**
 * The `portal org …` commands: create, list, invite. The CLI's switch calls
 * runOrgCommand and prints what it returns as JSON.
 */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest } from '../http/errors.ts';
import type { Config } from '../config/config.ts';
import { createOrganization, resolveOrganization } from './orgs.ts';
import { inviteToOrganization } from './invite.ts';

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
      const name = typeof opts.name === 'string' ? opts.name : undefined;
      const print = opts.print === true;
      const { invitation, token, account } = await inviteToOrganization(ctx, org, { email: need(opts, 'email'), role, name }, { via: 'cli', print });
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
