/**
 * The Store over SQL, shared by SQLite and PostgreSQL. The domain pieces live
 * in sibling files; this class only wires them to one Driver.
 */
import type { Store } from '../store.ts';
import { sqlAudit, sqlThrottle } from './audit.ts';
import type { Driver } from './driver.ts';
import { runMigrations } from './migrate.ts';
import { sqlKeys, sqlOidc, sqlSettings } from './oidc.ts';
import { sqlOrgs } from './orgs.ts';
import { sqlActivity } from './activity.ts';
import { sqlFederation } from './federation.ts';
import { sqlBffSessions, sqlConsents } from './sessions.ts';
import { sqlOidcOwners } from './oidc-owners.ts';
import { sqlImpersonations } from './impersonations.ts';
import { sqlClients, sqlUsers } from './users.ts';
import { sqlUserConsole } from './user-console.ts';
import { sqlMailOutbox } from './mail.ts';
import { sqlLogoutOutbox } from './logout-outbox.ts';
import { sqlOneTimeTokens } from './tokens.ts';
import { sqlResources } from './resources.ts';
import { sqlApiRoutes } from './api-routes.ts';
import { sqlMfa } from './mfa.ts';
import { sqlPasskeys } from './passkeys.ts';

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  readonly users: Store['users'];
  readonly clients: Store['clients'];
  readonly resources: Store['resources'];
  readonly apiRoutes: Store['apiRoutes'];
  readonly oidc: Store['oidc'];
  readonly keys: Store['keys'];
  readonly settings: Store['settings'];
  readonly bffSessions: Store['bffSessions'];
  readonly consents: Store['consents'];
  readonly oidcOwners: Store['oidcOwners'];
  readonly audit: Store['audit'];
  readonly throttle: Store['throttle'];
  readonly impersonations: Store['impersonations'];
  readonly events: Store['events'];
  readonly orgs: Store['orgs'];
  readonly federation: Store['federation'];
  readonly activity: Store['activity'];
  readonly mailOutbox: Store['mailOutbox'];
  readonly logoutOutbox: Store['logoutOutbox'];
  readonly oneTimeTokens: Store['oneTimeTokens'];
  readonly mfa: Store['mfa'];
  readonly passkeys: Store['passkeys'];
  readonly #db: Driver;

  /** `events` is given for a transaction's store, whose driver has no notifications of its own. */
  constructor(db: Driver, events?: Store['events']) {
    this.#db = db;
    this.kind = db.kind;
    this.users = { ...sqlUsers(db), ...sqlUserConsole(db) };
    this.clients = sqlClients(db);
    this.resources = sqlResources(db);
    this.apiRoutes = sqlApiRoutes(db);
    this.oidc = sqlOidc(db);
    this.keys = sqlKeys(db);
    this.settings = sqlSettings(db);
    this.bffSessions = sqlBffSessions(db);
    this.consents = sqlConsents(db);
    this.oidcOwners = sqlOidcOwners(db);
    this.audit = sqlAudit(db);
    this.throttle = sqlThrottle(db);
    this.impersonations = sqlImpersonations(db);
    this.events = events ?? db.notifications ?? { publish: async () => {}, subscribe: () => {} };
    this.orgs = sqlOrgs(db);
    this.federation = sqlFederation(db);
    this.activity = sqlActivity(db);
    this.mailOutbox = sqlMailOutbox(db);
    this.logoutOutbox = sqlLogoutOutbox(db);
    this.oneTimeTokens = sqlOneTimeTokens(db);
    this.mfa = sqlMfa(db);
    this.passkeys = sqlPasskeys(db);
    // A wrapper made with Object.create(store) calls these with its own `this`, which has no #db.
    this.migrate = this.migrate.bind(this);
    this.ping = this.ping.bind(this);
    this.checkWrites = this.checkWrites.bind(this);
    this.close = this.close.bind(this);
    this.transaction = this.transaction.bind(this);
  }

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    // The driver's own transaction() on a transaction driver runs fn in place, so nesting joins.
    return this.#db.transaction((tx) => fn(new SqlStore(tx, this.events)));
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db);
  }

  async ping(): Promise<void> {
    await this.#db.query('SELECT 1');
  }

  async checkWrites(): Promise<void> {
    // One row for every instance: a tiny real write, not a growing log.
    await this.#db.run('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
      'healthz.heartbeat',
      String(Date.now()),
    ]);
    await this.#db.checkSpace?.();
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
