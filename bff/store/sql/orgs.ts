/** Organizations, memberships, invitations and each grant's organization. */
import type { GrantOrganization, Invitation, Membership, Organization, OrgsStore } from '../orgs.ts';
import type { Driver, SqlValue } from './driver.ts';
import { numOrNull, firstOr, onlyRow } from './rows.ts';

interface OrgRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

interface MembershipRow {
  user_id: string;
  organization_id: string;
  role: string;
  created_at: number;
}

interface InvitationRow {
  id: string;
  token_hash: string;
  organization_id: string;
  email: string;
  role: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  revoked_at: number | null;
}

const toOrg = (r: OrgRow): Organization => ({ id: r.id, name: r.name, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) });

const toMembership = (r: MembershipRow): Membership => ({
  userId: r.user_id,
  organizationId: r.organization_id,
  role: r.role,
  createdAt: Number(r.created_at),
});

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  tokenHash: r.token_hash,
  organizationId: r.organization_id,
  email: r.email,
  role: r.role,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  acceptedAt: numOrNull(r.accepted_at),
  acceptedBy: r.accepted_by,
  revokedAt: numOrNull(r.revoked_at),
});

const ORG_COLUMNS = 'id, name, created_at, updated_at';
const MEMBERSHIP_COLUMNS = 'user_id, organization_id, role, created_at';
const INSERT_INVITATION_COLUMNS = 'id, token_hash, organization_id, email, role, created_at, expires_at, accepted_at, accepted_by';
const INVITATION_COLUMNS = `${INSERT_INVITATION_COLUMNS}, revoked_at`;

async function upsertGrantOrg(db: Driver, grantId: string, userId: string, organizationId: string, now: number): Promise<void> {
  await db.run(
    `INSERT INTO grant_organizations (grant_id, user_id, organization_id, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (grant_id) DO UPDATE SET user_id = excluded.user_id, organization_id = excluded.organization_id,
       updated_at = excluded.updated_at`,
    [grantId, userId, organizationId, now],
  );
}

async function grantOrgOf(db: Driver, grantId: string): Promise<string | null> {
  const rows = await db.query<{ organization_id: string }>('SELECT organization_id FROM grant_organizations WHERE grant_id = $1', [grantId]);
  return rows[0]?.organization_id ?? null;
}

export function sqlOrgs(db: Driver): OrgsStore {
  async function oneOrg(sql: string, params: SqlValue[]): Promise<Organization | null> {
    const rows = await db.query<OrgRow>(sql, params);
    return firstOr(rows, toOrg);
  }

  return {
    async create(org, now) {
      const row = await oneOrg(`INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING ${ORG_COLUMNS}`, [
        org.id,
        org.name,
        now,
      ]);
      return row!;
    },
    find: (id) => oneOrg(`SELECT ${ORG_COLUMNS} FROM organizations WHERE id = $1`, [id]),
    findByName: (name) => oneOrg(`SELECT ${ORG_COLUMNS} FROM organizations WHERE lower(name) = lower($1)`, [name]),
    async list() {
      return (await db.query<OrgRow>(`SELECT ${ORG_COLUMNS} FROM organizations ORDER BY created_at, id`)).map(toOrg);
    },
    rename: (id, name, expectedUpdatedAt, now) =>
      oneOrg(`UPDATE organizations SET name = $2, updated_at = $4 WHERE id = $1 AND updated_at = $3 RETURNING ${ORG_COLUMNS}`, [
        id,
        name,
        expectedUpdatedAt,
        Math.max(now, expectedUpdatedAt + 1),
      ]),
    async delete(id, expectedUpdatedAt) {
      // Memberships, invitations and grant links go with it (ON DELETE CASCADE).
      const { changes } = await db.run('DELETE FROM organizations WHERE id = $1 AND updated_at = $2', [id, expectedUpdatedAt]);
      return changes === 1;
    },
    async listMembers(organizationId) {
      const rows = await db.query<MembershipRow & { email: string; name: string }>(
        `SELECT m.user_id, m.organization_id, m.role, m.created_at, u.email, u.name
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organization_id = $1 ORDER BY m.created_at, u.email`,
        [organizationId],
      );
      return rows.map((r) => ({ ...toMembership(r), email: r.email, name: r.name }));
    },
    async setMembershipRole(userId, organizationId, role, expectedRole) {
      const { changes } = await db.run('UPDATE memberships SET role = $3 WHERE user_id = $1 AND organization_id = $2 AND role = $4', [
        userId,
        organizationId,
        role,
        expectedRole,
      ]);
      return changes === 1;
    },

    async addMembership(m, now) {
      const { changes } = await db.run(
        `INSERT INTO memberships (${MEMBERSHIP_COLUMNS}) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, organization_id) DO NOTHING`,
        [m.userId, m.organizationId, m.role, now],
      );
      const rows = await db.query<MembershipRow>(`SELECT ${MEMBERSHIP_COLUMNS} FROM memberships WHERE user_id = $1 AND organization_id = $2`, [
        m.userId,
        m.organizationId,
      ]);
      return { membership: toMembership(onlyRow(rows)), created: changes === 1 };
    },
    async findMembership(userId, organizationId) {
      const rows = await db.query<MembershipRow>(`SELECT ${MEMBERSHIP_COLUMNS} FROM memberships WHERE user_id = $1 AND organization_id = $2`, [
        userId,
        organizationId,
      ]);
      return firstOr(rows, toMembership);
    },
    async listMemberships(userId) {
      const rows = await db.query<MembershipRow>(`SELECT ${MEMBERSHIP_COLUMNS} FROM memberships WHERE user_id = $1 ORDER BY created_at, organization_id`, [
        userId,
      ]);
      return rows.map(toMembership);
    },
    async removeMembership(userId, organizationId) {
      const { changes } = await db.run('DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2', [userId, organizationId]);
      return changes === 1;
    },

    async createInvitation(inv) {
      await db.run(`INSERT INTO invitations (${INSERT_INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        inv.id,
        inv.tokenHash,
        inv.organizationId,
        inv.email,
        inv.role,
        inv.createdAt,
        inv.expiresAt,
        inv.acceptedAt,
        inv.acceptedBy,
      ]);
    },
    async findInvitationByTokenHash(tokenHash) {
      const rows = await db.query<InvitationRow>(`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1`, [tokenHash]);
      return firstOr(rows, toInvitation);
    },
    async findInvitation(id) {
      const rows = await db.query<InvitationRow>(`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE id = $1`, [id]);
      return firstOr(rows, toInvitation);
    },
    async listInvitations(organizationId) {
      const rows = await db.query<InvitationRow>(`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE organization_id = $1 ORDER BY created_at DESC, id`, [
        organizationId,
      ]);
      return rows.map(toInvitation);
    },
    async revokeInvitation(id, now) {
      const { changes } = await db.run('UPDATE invitations SET revoked_at = $2 WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL', [id, now]);
      return changes === 1;
    },
    acceptInvitation({ invitationId, userId, grantId, now }) {
      return db.transaction(async (tx) => {
        // The conditional UPDATE is the gate: of racing acceptances exactly one changes the row.
        const { changes } = await tx.run(
          `UPDATE invitations SET accepted_at = $2, accepted_by = $3
           WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2`,
          [invitationId, now, userId],
        );
        if (changes !== 1) return null;
        const inv = onlyRow(await tx.query<InvitationRow>(`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE id = $1`, [invitationId]));
        const added = await tx.run(
          `INSERT INTO memberships (${MEMBERSHIP_COLUMNS}) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, organization_id) DO NOTHING`,
          [userId, inv.organization_id, inv.role, now],
        );
        const previousOrganizationId = await grantOrgOf(tx, grantId);
        await upsertGrantOrg(tx, grantId, userId, inv.organization_id, now);
        return { membershipCreated: added.changes === 1, previousOrganizationId };
      });
    },
    async revertInvitation({ invitationId, userId, grantId, now, membershipCreated, previousOrganizationId }) {
      await db.transaction(async (tx) => {
        const [inv] = await tx.query<InvitationRow>(
          `UPDATE invitations SET accepted_at = NULL, accepted_by = NULL WHERE id = $1 AND accepted_by = $2 RETURNING ${INVITATION_COLUMNS}`,
          [invitationId, userId],
        );
        if (!inv) return;
        if (membershipCreated) {
          await tx.run('DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2', [userId, inv.organization_id]);
        }
        if (previousOrganizationId) await upsertGrantOrg(tx, grantId, userId, previousOrganizationId, now);
        else await tx.run('DELETE FROM grant_organizations WHERE grant_id = $1', [grantId]);
      });
    },

    async setGrantOrganization(grantId, userId, organizationId, now) {
      await upsertGrantOrg(db, grantId, userId, organizationId, now);
    },
    async findGrantOrganization(grantId) {
      const rows = await db.query<{ grant_id: string; user_id: string; organization_id: string; role: string | null }>(
        `SELECT g.grant_id, g.user_id, g.organization_id, m.role
         FROM grant_organizations g
         LEFT JOIN memberships m ON m.user_id = g.user_id AND m.organization_id = g.organization_id
         WHERE g.grant_id = $1`,
        [grantId],
      );
      const r = rows[0];
      return r ? ({ grantId: r.grant_id, userId: r.user_id, organizationId: r.organization_id, role: r.role ?? null } satisfies GrantOrganization) : null;
    },
    async deleteGrantOrganization(grantId) {
      await db.run('DELETE FROM grant_organizations WHERE grant_id = $1', [grantId]);
    },
  };
}
