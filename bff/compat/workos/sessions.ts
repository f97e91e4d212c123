/**
 * WorkOS sessions: what `listSessions` and `revokeSession` of the SDK call.
 *
 *   GET  /user_management/users/:id/sessions   the user's active sessions with this client
 *   POST /user_management/sessions/revoke      ends one ({ session_id })
 *
 * A WorkOS session is a provider grant of a partner client (its id is the
 * access token's `sid`). What WorkOS records on it — the person's address and
 * browser as the partner's server reports them (`ip_address`, `user_agent`),
 * how they signed in, when — is kept as a provider row of its own model bound
 * to the grant, so it is deleted with the grant and swept with its expiry.
 * Both routes need the API key, and a client only ever sees or ends its own
 * sessions: another client's session answers as an unknown one.
 */
import type { Deps } from '../../deps.ts';
import type { ClientRecord } from '../../store/store.ts';
import { MODEL, type SessionMeta } from './session-meta.ts';
import type { RequestInfo, WorkOSHooks } from './exchange.ts';
import { clientByApiKey } from './magic-auth.ts';
import { WorkOSError } from './map.ts';

export interface GrantLike {
  accountId?: string;
  clientId?: string;
  exp?: number;
  iat?: number;
  destroy(): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const unknownSession = () => new WorkOSError(404, 'not_found', 'No session with this id.', { code: 'entity_not_found' });

async function sessionOf(deps: Deps, hooks: WorkOSHooks, grantId: string, grant: GrantLike, client: ClientRecord) {
  const row = await deps.store.oidc.find(MODEL, grantId);
  const meta = (row?.payload ?? null) as Partial<SessionMeta> | null;
  const createdAt = meta?.createdAt ?? (grant.iat ? grant.iat * 1000 : deps.now());
  const org = await deps.store.orgs.findGrantOrganization(grantId);
  const impersonator = (await hooks.impersonator?.(grantId)) ?? null;
  return {
    object: 'session' as const,
    id: grantId,
    user_id: grant.accountId,
    ip_address: meta?.ipAddress ?? null,
    user_agent: meta?.userAgent ?? null,
    ...(org && org.userId === grant.accountId && org.role !== null ? { organization_id: org.organizationId } : {}),
    ...(impersonator ? { impersonator } : {}),
    auth_method: impersonator ? 'impersonation' : (meta?.authMethod ?? 'unknown'),
    status: 'active' as const,
    expires_at: iso(grant.exp ? grant.exp * 1000 : createdAt),
    ended_at: null,
    created_at: iso(createdAt),
    updated_at: iso(createdAt),
    client_id: client.clientId,
  };
}

const LIMIT_MAX = 100;

/** `GET /user_management/users/:id/sessions`: newest first, paged with `limit`, `before`, `after` (session ids). */
export async function listSessions(deps: Deps, hooks: WorkOSHooks, userId: string, query: Record<string, unknown>, info: RequestInfo) {
  const client = await clientByApiKey(deps, info.bearer, info.ip);
  const user = await deps.store.users.findById(userId);
  if (!user) throw new WorkOSError(404, 'not_found', 'No user with this id.', { code: 'entity_not_found' });
  const rawLimit = query.limit === undefined ? 10 : Number(query.limit);
  if (!Number.isInteger(rawLimit) || rawLimit < 1 || rawLimit > LIMIT_MAX) {
    throw new WorkOSError(422, 'invalid_request', `limit: a whole number from 1 to ${LIMIT_MAX}.`, { code: 'invalid_request_parameters' });
  }
  const order = query.order === 'asc' ? 'asc' : 'desc';
  const sessions = [];
  for (const id of await deps.store.oidcOwners.grantIds(user.id, client.clientId)) {
    const grant = (await deps.provider.Grant.find(id)) as GrantLike | undefined;
    if (!grant || grant.accountId !== user.id || grant.clientId !== client.clientId) continue;
    sessions.push(await sessionOf(deps, hooks, id, grant, client));
  }
  // Newest first (WorkOS's default order); ties by id, so the cursor is stable.
  sessions.sort((a, b) => (a.created_at === b.created_at ? a.id.localeCompare(b.id) : a.created_at < b.created_at ? 1 : -1));
  if (order === 'asc') sessions.reverse();
  let start = 0;
  let end = sessions.length;
  if (typeof query.after === 'string' && query.after) start = sessions.findIndex((s) => s.id === query.after) + 1;
  if (typeof query.before === 'string' && query.before) {
    end = Math.max(
      0,
      sessions.findIndex((s) => s.id === query.before),
    );
    start = Math.max(start, end - rawLimit);
  }
  const page = sessions.slice(start, Math.min(end, start + rawLimit)).map(({ client_id: _c, ...s }) => s);
  const last = page.at(-1);
  const first = page[0];
  return {
    object: 'list',
    data: page,
    list_metadata: {
      before: first && start > 0 ? first.id : null,
      after: last && start + page.length < end ? last.id : null,
    },
  };
}

/** Ends a grant as the WorkOS logout does: its tokens, the grant, its organization. */
export async function endSession(
  deps: Deps,
  grantId: string,
  grant: GrantLike,
  owner: ClientRecord,
  info: { ip: string | null; userAgent: string | null },
): Promise<void> {
  await deps.store.oidc.revokeByGrantId(grantId);
  await grant.destroy();
  await deps.store.orgs.deleteGrantOrganization(grantId);
  await deps.audit.record('workos_session_ended', {
    actorId: grant.accountId ?? null,
    subjectId: grant.accountId ?? null,
    ip: info.ip,
    userAgent: info.userAgent,
    data: { clientId: owner.clientId, session: grantId },
  });
}

/** `POST /user_management/sessions/revoke`: the client's own session only; an unknown or another's is 404. */
export async function revokeSession(deps: Deps, sessionId: string, info: RequestInfo): Promise<Record<string, never>> {
  const client = await clientByApiKey(deps, info.bearer, info.ip);
  const grant = (await deps.provider.Grant.find(sessionId)) as GrantLike | undefined;
  if (!grant?.accountId || grant.clientId !== client.clientId) throw unknownSession();
  await endSession(deps, sessionId, grant, client, info);
  return {};
}
