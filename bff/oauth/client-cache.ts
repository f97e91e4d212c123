/**
 * Client records cached in this process, checked against the store's clients
 * version on every lookup (decision 0021). Every token, introspection and
 * revocation request looks its client up; reading one small stamp row costs
 * far less than reading the client's row and decrypting its secret
 * (secrets-at-rest.ts), and oidc-provider then finds its own Client object by
 * the same properties.
 *
 * The stamp is bumped by triggers on the clients table (migration 024) inside
 * the writer's transaction, whoever writes (this instance, another one, the
 * CLI in another process), so a change is seen by the very next lookup on
 * every instance: there is no time-to-live and no notification to lose.
 */
import type { ClientRecord, Store } from '../store/store.ts';

/** Enough for every registered client of a large portal; unknown ids are never cached. */
const MAX_ENTRIES = 2000;

function frozen(c: ClientRecord): ClientRecord {
  for (const v of Object.values(c)) if (Array.isArray(v)) Object.freeze(v);
  return Object.freeze(c);
}

/** The store with `clients.find` and `clients.list` served from memory while the clients version stands. */
export function cachedClients(store: Store): Store {
  const { clients } = store;
  let version: number | null = null;
  const byId = new Map<string, ClientRecord>();
  let all: ClientRecord[] | null = null;

  /** The current stamp; drops every copy when it moved. */
  async function current(): Promise<number> {
    const v = await clients.version();
    if (v !== version) {
      byId.clear();
      all = null;
      version = v;
    }
    return v;
  }

  // Inherits everything else (and its `this`) from the store; a transaction's store is not cached.
  const wrapped = Object.create(store) as Store & { clients: Store['clients'] };
  wrapped.clients = {
    ...clients,
    async find(clientId) {
      const v = await current();
      const hit = byId.get(clientId);
      if (hit) return hit;
      // Read after the stamp, so the row is at least as new as the stamp it is filed under.
      const c = await clients.find(clientId);
      // A lookup that saw the stamp move meanwhile may hold an older row: it is returned, not kept.
      if (!c || version !== v) return c;
      if (byId.size >= MAX_ENTRIES) byId.delete(byId.keys().next().value!);
      byId.set(clientId, frozen(c));
      return c;
    },
    async list() {
      const v = await current();
      if (all) return [...all];
      const list = (await clients.list()).map(frozen);
      if (version === v) all = list;
      return [...list];
    },
  };
  return wrapped;
}
