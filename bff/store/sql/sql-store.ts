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
import { sqlFederation } from './federation.ts';
import { sqlBffSessions, sqlConsents } from './sessions.ts';
import { sqlOidcOwners } from './oidc-owners.ts';
import { sqlImpersonations } from './impersonations.ts';
import { sqlClients, sqlUsers } from './users.ts';

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  readonly users: Store['users'];
  readonly clients: Store['clients'];
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
  readonly #db: Driver;

  constructor(db: Driver) {
    this.#db = db;
    this.kind = db.kind;
    this.users = sqlUsers(db);
    this.clients = sqlClients(db);
    this.oidc = sqlOidc(db);
    this.keys = sqlKeys(db);
    this.settings = sqlSettings(db);
    this.bffSessions = sqlBffSessions(db);
    this.consents = sqlConsents(db);
    this.oidcOwners = sqlOidcOwners(db);
    this.audit = sqlAudit(db);
    this.throttle = sqlThrottle(db);
    this.impersonations = sqlImpersonations(db);
    this.events = db.notifications ?? { publish: async () => {}, subscribe: () => {} };
    this.orgs = sqlOrgs(db);
    this.federation = sqlFederation(db);
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db);
  }

  async ping(): Promise<void> {
    await this.#db.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
