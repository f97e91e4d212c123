/**
 * The `portal org …` commands: create, list, invite. The CLI's switch calls
 * runOrgCommand and prints what it returns as JSON.
 */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest } from '../http/errors.ts';
import { createInvitation, createOrganization, resolveOrganization } from './orgs.ts';

export const ORG_USAGE = `  org create --name N
  org list
  org invite --org ORG_ID_OR_NAME --email E [--role R]   (prints the invitation token, once)`;

export interface OrgCommandContext {
  store: Store;
  audit: Audit;
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
      const { invitation, token } = await createInvitation(store, { organizationId: org.id, email: need(opts, 'email'), role }, now);
      await audit.record('invitation_created', {
        data: { invitationId: invitation.id, organizationId: org.id, email: invitation.email, role: invitation.role, via: 'cli' },
      });
      return {
        invitation_id: invitation.id,
        organization_id: org.id,
        email: invitation.email,
        role: invitation.role,
        invitation_token: token,
        expires_at: new Date(invitation.expiresAt).toISOString(),
      };
    }
    default:
      throw badRequest('unknown_command', `unknown command: org ${action}`);
  }
}
