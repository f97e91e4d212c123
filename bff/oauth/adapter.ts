/**
 * The oidc-provider Adapter over the Store. Single-use things (codes, refresh
 * tokens) are consumed with one conditional UPDATE; losing that race raises
 * oidc-provider's InvalidGrant, never a 500.
 */
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { providerMetadata } from './client-options.ts';
import { jwtFromLookupValue } from './structured-tokens.ts';
import { refuseFastPolling } from './device.ts';

export interface AdapterDeps {
  store: Store;
  now: () => number;
  /** Seconds during which a rotated refresh token's reuse is refused without revoking the grant. */
  refreshReuseWindow: number;
  /** Verifies a JWT access token signed by this provider and returns its jti, or null. */
  jwtAccessTokenId: (value: string) => Promise<string | null>;
}

export function createAdapterClass(deps: AdapterDeps): new (name: string) => Adapter {
  const { store, now } = deps;

  class StoreAdapter implements Adapter {
    readonly name: string;

    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.name === 'Client') throw new Error('clients are managed through the portal, not the provider');
      const expiresAt = expiresIn ? now() + expiresIn * 1000 : null;
      await store.oidc.upsert(this.name, id, payload as Record<string, unknown>, expiresAt, {
        grantId: payload.grantId,
        userCode: payload.userCode,
        uid: payload.uid,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // Nothing stored holds a NUL, and PostgreSQL refuses one in a query (22021): it names nothing.
      // (Basic client credentials and bearer tokens reach here decoded, past the edge checks.)
      if (id.includes('\0')) return undefined;
      // A device polling the token endpoint faster than the interval (RFC 8628 §3.5).
      if (this.name === 'DeviceCode' && Provider.ctx?.oidc?.route === 'token') await refuseFastPolling(store, id, now());
      if (this.name === 'Client') {
        const c = await store.clients.find(id);
        return c ? (providerMetadata(c) as AdapterPayload) : undefined;
      }
      let key = id;
      // JWT access tokens are stored under their jti; the value presented is the JWT itself
      // (or `~<jwt>` from the introspection/revocation shim). Only a JWT we signed maps.
      const jwt = this.name === 'AccessToken' ? jwtFromLookupValue(id) : null;
      if (jwt) {
        const jti = await deps.jwtAccessTokenId(jwt);
        if (!jti) return undefined;
        key = jti;
      }
      const row = await store.oidc.find(this.name, key);
      if (!row) return undefined;
      if (jwt) {
        // Verified above; let oidc-provider read it like any stored token.
        const { format: _format, ...payload } = row.payload;
        return withConsumed(payload, row.consumedAt);
      }
      if (row.consumedAt !== null && this.name === 'RefreshToken' && inReuseWindow(row.consumedAt)) {
        // A racing refresh with the same token (two tabs, a retry): refuse it, but
        // do not let oidc-provider treat it as theft and revoke the whole grant.
        throw new errors.InvalidGrant('refresh token already used');
      }
      return withConsumed(row.payload, row.consumedAt);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      if (userCode.includes('\0')) return undefined;
      const row = await store.oidc.findByUserCode(this.name, userCode);
      return row ? withConsumed(row.payload, row.consumedAt) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (uid.includes('\0')) return undefined;
      const row = await store.oidc.findByUid(this.name, uid);
      return row ? withConsumed(row.payload, row.consumedAt) : undefined;
    }

    async consume(id: string): Promise<void> {
      const ok = await store.oidc.consume(this.name, id, now());
      if (!ok) throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
    }

    async destroy(id: string): Promise<void> {
      await store.oidc.destroy(this.name, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidc.revokeByGrantId(grantId);
    }
  }

  function inReuseWindow(consumedAt: number): boolean {
    if (deps.refreshReuseWindow <= 0) return false;
    if (now() - consumedAt >= deps.refreshReuseWindow * 1000) return false;
    // Only the token endpoint races; revocation and introspection see the plain truth.
    return Provider.ctx?.oidc?.route === 'token';
  }

  return StoreAdapter;
}

function withConsumed(payload: Record<string, unknown>, consumedAt: number | null): AdapterPayload {
  return (consumedAt !== null ? { ...payload, consumed: Math.floor(consumedAt / 1000) } : payload) as AdapterPayload;
}
