/**
 * Connections to upstream OpenID Providers: validation, creation (after a
 * successful discovery), the admin view without secrets, and the mapping
 * between a connection and the `acr` its sign-ins carry:
 * `sso:<connectionId>` for an organization's connection, `social:<Name>`
 * otherwise (core.ts's authenticationMethod turns those into `SSO` and
 * `<Name>OAuth`).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import { ConflictError } from '../store/store.ts';
import { AppError, badRequest, conflict } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import type { Connection } from '../store/federation.ts';
import { clientSecretSealer } from './crypto.ts';
import { discover } from './upstream.ts';
import { ORGANIZATION_ERRORS } from '../../api/errors.ts';

export type ConnectionKind = 'sso' | 'social';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;
export const DEFAULT_SCOPES = ['openid', 'profile', 'email'];

function issuerProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://accounts.example.com';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
    return 'must use https (http is allowed only on localhost, 127.0.0.1 or [::1])';
  }
  if (u.search || u.hash || raw.includes('#')) return 'must not carry a query or a fragment';
  if (u.username || u.password) return 'must not contain a user name or password';
  return null;
}

export const newConnectionSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'A name is required.')
    .max(64, 'The name must be at most 64 characters.')
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'Use letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.'),
  issuer: z
    .string()
    .trim()
    .max(2000)
    .superRefine((v, ctx) => {
      const p = issuerProblem(v);
      if (p) ctx.addIssue({ code: 'custom', message: `The issuer ${p}.` });
    }),
  clientId: z.string().trim().min(1, 'The client ID is required.').max(500),
  clientSecret: z.string().min(1, 'The client secret is required.').max(2000),
  scopes: z.array(z.string().regex(SCOPE, 'Scopes are single words without spaces or quotes.')).max(30).optional(),
  /** An organization id or name; makes it an organization (SSO) connection. */
  org: z.string().trim().min(1).max(200).nullish(),
  domains: z.array(z.string().trim().toLowerCase().regex(DOMAIN, 'Each domain must be a host name such as example.com.')).max(50).default([]),
});
export type NewConnectionInput = z.input<typeof newConnectionSchema>;

export function kindOf(c: Pick<Connection, 'orgId'>): ConnectionKind {
  return c.orgId ? 'sso' : 'social';
}

/** What a sign-in through this connection records as its `acr`. */
export function acrFor(c: Connection): string {
  return kindOf(c) === 'sso' ? `sso:${c.id}` : `social:${c.name}`;
}

/** The connection a sign-in's `acr` names, or null (a password sign-in, a deleted connection). */
export async function connectionForAcr(store: Store, acr: string | null | undefined): Promise<Connection | null> {
  if (typeof acr !== 'string') return null;
  if (acr.startsWith('sso:')) return store.federation.findConnection(acr.slice(4));
  if (acr.startsWith('social:')) return store.federation.findConnectionByName(acr.slice(7));
  return null;
}

/** The connection a compatibility API's provider name selects (Zenith `Provider`), case-insensitively. */
export function connectionByProvider(store: Store, name: string): Promise<Connection | null> {
  return store.federation.findConnectionByName(name);
}

/** The admin view: everything but the secret. */
export function publicConnection(c: Connection) {
  return {
    id: c.id,
    name: c.name,
    kind: kindOf(c),
    issuer: c.issuer,
    clientId: c.clientId,
    scopes: c.scopes,
    orgId: c.orgId,
    domains: c.domains,
    createdAt: c.createdAt,
  };
}

export interface ConnectionDeps {
  store: Store;
  cookieSecrets: Readonly<Record<number, string>>;
  now: number;
  /** FEDERATION_ALLOW_PRIVATE: discovery may reach loopback and private addresses (development). */
  allowPrivate: boolean;
}

/**
 * Validates, resolves the organization, proves the issuer answers discovery
 * (a clear 400 `discovery_failed` otherwise), and stores the connection with
 * its client secret encrypted.
 */
export async function createConnection(deps: ConnectionDeps, input: unknown): Promise<Connection> {
  const b = parse(newConnectionSchema, input);
  const scopes = [...new Set(['openid', ...(b.scopes?.length ? b.scopes : DEFAULT_SCOPES)])];
  let orgId: string | null = null;
  if (b.org) {
    const org = (await deps.store.orgs.find(b.org)) ?? (await deps.store.orgs.findByName(b.org));
    if (!org) throw badRequest(ORGANIZATION_ERRORS.not_found, `There is no organization ${b.org}.`, { org: 'No such organization.' });
    orgId = org.id;
  }
  if (await deps.store.federation.findConnectionByName(b.name)) {
    throw conflict('connection_exists', `A connection named ${b.name} already exists.`, { name: 'This name is already used.' });
  }
  for (const d of b.domains) {
    const owner = await deps.store.federation.findConnectionByDomain(d);
    if (owner) throw conflict('domain_taken', `The domain ${d} already signs in through ${owner.name}.`, { domains: `${d} already belongs to ${owner.name}.` });
  }
  try {
    await discover(b.issuer, b.clientId, deps.allowPrivate);
  } catch (e) {
    // One text whatever went wrong (refused address, closed port, not OpenID, bad metadata):
    // anything more would let an admin map the internal network through this endpoint.
    throw new AppError(
      'discovery_failed',
      `The issuer did not answer OpenID discovery at ${b.issuer.replace(/\/$/, '')}/.well-known/openid-configuration. Check the issuer URL, and that the portal can reach it.`,
      {
        status: 400,
        fields: { issuer: 'OpenID discovery failed for this issuer.' },
        cause: e,
      },
    );
  }
  const id = `conn_${randomUUID().replace(/-/g, '')}`;
  const connection: Connection = {
    id,
    name: b.name,
    issuer: b.issuer,
    clientId: b.clientId,
    clientSecret: clientSecretSealer(deps.cookieSecrets).seal(b.clientSecret, id),
    scopes,
    orgId,
    domains: [...new Set(b.domains)],
    createdAt: deps.now,
    updatedAt: deps.now,
  };
  try {
    await deps.store.federation.createConnection(connection);
  } catch (e) {
    if (e instanceof ConflictError) throw conflict('connection_exists', 'A connection with this name or one of these domains already exists.');
    throw e;
  }
  return connection;
}
