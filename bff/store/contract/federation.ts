/** Contract: federation connections, domains and linked identities. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection, FederatedIdentity } from '../federation.ts';
import { ConflictError } from '../store.ts';
import { type GetStore, rid, T0 } from './util.ts';

function newConnection(over: Partial<Connection> = {}): Connection {
  return {
    id: rid('conn'),
    name: rid('Acme'),
    issuer: 'https://idp.example.com',
    clientId: 'client-1',
    clientSecret: 'sealed-secret',
    scopes: ['openid', 'email'],
    orgId: null,
    domains: [],
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function newIdentity(over: Partial<FederatedIdentity> = {}): FederatedIdentity {
  return {
    connectionId: rid('conn'),
    subject: rid('sub'),
    userId: rid('u'),
    email: 'a@example.com',
    tokens: 'sealed-tokens-1',
    tokensExpiresAt: T0 + 3_600_000,
    version: 1,
    refreshLockUntil: null,
    linkedAt: T0,
    createdAt: T0,
    lastUsedAt: T0,
    ...over,
  };
}

export function federationContract(get: GetStore): void {
  describe('federation connections', () => {
    it('creates, finds by id, name (any case) and domain, lists and deletes', async () => {
      const d1 = `${rid('d')}.example`.toLowerCase();
      const d2 = `${rid('d')}.example`.toLowerCase();
      const c = newConnection({ orgId: rid('org'), domains: [d2, d1] });
      await get().federation.createConnection(c);
      const expected = { ...c, domains: [d1, d2].sort() };
      assert.deepEqual(await get().federation.findConnection(c.id), expected);
      assert.deepEqual(await get().federation.findConnectionByName(c.name.toUpperCase()), expected);
      assert.deepEqual(await get().federation.findConnectionByDomain(d1.toUpperCase()), expected);
      assert.equal(await get().federation.findConnectionByDomain(`${rid('x')}.example`), null);
      assert.equal(await get().federation.findConnection(rid('missing')), null);
      assert.ok((await get().federation.listConnections()).some((x) => x.id === c.id && x.domains.length === 2));

      assert.equal(await get().federation.setConnectionSecret(c.id, 'sealed-2', T0 + 5), true);
      const updated = await get().federation.findConnection(c.id);
      assert.equal(updated?.clientSecret, 'sealed-2');
      assert.equal(updated?.updatedAt, T0 + 5);

      const identity = newIdentity({ connectionId: c.id });
      await get().federation.insertIdentity(identity);
      assert.equal(await get().federation.deleteConnection(c.id), true);
      assert.equal(await get().federation.deleteConnection(c.id), false);
      assert.equal(await get().federation.findConnection(c.id), null);
      assert.equal(await get().federation.findConnectionByDomain(d1), null, 'domains go with the connection');
      assert.equal(await get().federation.findIdentity(c.id, identity.subject), null, 'identities go with the connection');
    });

    it('refuses a duplicate name (any case) or a domain already routed elsewhere, leaving nothing behind', async () => {
      const domain = `${rid('d')}.example`.toLowerCase();
      const c = newConnection({ domains: [domain] });
      await get().federation.createConnection(c);
      await assert.rejects(get().federation.createConnection(newConnection({ name: c.name.toLowerCase() })), ConflictError);
      const fresh = `${rid('d')}.example`.toLowerCase();
      const other = newConnection({ domains: [fresh, domain] });
      await assert.rejects(get().federation.createConnection(other), ConflictError);
      assert.equal(await get().federation.findConnection(other.id), null, 'the failed create rolled back');
      assert.equal(await get().federation.findConnectionByDomain(fresh), null);
    });
  });

  describe('federated identities', () => {
    it('inserts once, finds, and lists only linked identities for a user', async () => {
      const userId = rid('u');
      const connectionId = rid('conn');
      const a = newIdentity({ userId, connectionId, lastUsedAt: T0 });
      const b = newIdentity({ userId, connectionId, lastUsedAt: T0 + 10, linkedAt: T0 + 1 });
      const pending = newIdentity({ userId, connectionId, lastUsedAt: T0 + 20, linkedAt: null });
      for (const i of [a, b, pending]) assert.equal(await get().federation.insertIdentity(i), true);
      assert.equal(await get().federation.insertIdentity({ ...a, userId: rid('u') }), false, 'an existing identity is never overwritten');
      assert.deepEqual(await get().federation.findIdentity(connectionId, a.subject), a);
      assert.deepEqual(await get().federation.findLinkedIdentity(userId, connectionId), b, 'the most recently used linked one');
      assert.equal(await get().federation.findLinkedIdentity(userId, rid('conn')), null);
      assert.deepEqual(await get().federation.listLinkedIdentities(userId), [a, b]);
      const other = newIdentity({ userId: rid('u'), connectionId });
      await get().federation.insertIdentity(other);
      assert.equal(await get().federation.unlinkIdentity(userId, connectionId, other.subject), false, "never another user's identity");
      assert.equal(await get().federation.unlinkIdentity(userId, connectionId, a.subject), true, 'one identity');
      assert.equal(await get().federation.unlinkIdentity(userId, connectionId, a.subject), false, 'once');
      assert.deepEqual(await get().federation.listLinkedIdentities(userId), [b]);
      assert.equal(await get().federation.unlinkAll(userId), 2, 'linked and pending alike');
      assert.deepEqual(await get().federation.listLinkedIdentities(userId), []);
      assert.equal(await get().federation.findIdentity(connectionId, pending.subject), null);
      assert.deepEqual(await get().federation.findIdentity(connectionId, other.subject), other, 'another user keeps theirs');
    });

    it('parks and replaces a pending link, never touches a linked one, and confirms it only for its user', async () => {
      const connectionId = rid('conn');
      const linked = newIdentity({ connectionId });
      await get().federation.insertIdentity(linked);
      assert.equal(await get().federation.upsertPendingIdentity({ ...linked, userId: rid('attacker'), tokens: 'x' }), false);
      assert.deepEqual(await get().federation.findIdentity(connectionId, linked.subject), linked);

      const pending = newIdentity({ connectionId, linkedAt: T0 });
      assert.equal(await get().federation.upsertPendingIdentity(pending), true);
      assert.equal((await get().federation.findIdentity(connectionId, pending.subject))?.linkedAt, null, 'always stored as pending');
      const replacement = { ...pending, userId: rid('u'), tokens: 'sealed-tokens-2', lastUsedAt: T0 + 3 };
      assert.equal(await get().federation.upsertPendingIdentity(replacement), true);
      const stored = await get().federation.findIdentity(connectionId, pending.subject);
      assert.equal(stored?.userId, replacement.userId);
      assert.equal(stored?.tokens, 'sealed-tokens-2');

      assert.equal(await get().federation.confirmLink(connectionId, pending.subject, pending.userId, T0 + 9), false, 'not for another user');
      assert.equal(await get().federation.confirmLink(connectionId, pending.subject, replacement.userId, T0 + 9), true);
      assert.equal(await get().federation.confirmLink(connectionId, pending.subject, replacement.userId, T0 + 10), false, 'once');
      assert.equal((await get().federation.findIdentity(connectionId, pending.subject))?.linkedAt, T0 + 9);
    });

    it('records a sign-in: new tokens and email, version bumped', async () => {
      const i = newIdentity({ refreshLockUntil: T0 + 100 });
      await get().federation.insertIdentity(i);
      await get().federation.recordSignIn(i.connectionId, i.subject, { email: 'b@example.com', tokens: 'sealed-9', tokensExpiresAt: T0 + 7 }, T0 + 50);
      assert.deepEqual(await get().federation.findIdentity(i.connectionId, i.subject), {
        ...i,
        email: 'b@example.com',
        tokens: 'sealed-9',
        tokensExpiresAt: T0 + 7,
        version: 2,
        refreshLockUntil: null,
        lastUsedAt: T0 + 50,
      });
    });

    it('hands the refresh lock to exactly one of many racing refreshers, and to no stale version', async () => {
      const i = newIdentity();
      await get().federation.insertIdentity(i);
      const got = await Promise.all(Array.from({ length: 10 }, () => get().federation.acquireRefreshLock(i.connectionId, i.subject, 1, T0, T0 + 5000)));
      assert.equal(got.filter(Boolean).length, 1);
      assert.equal(await get().federation.acquireRefreshLock(i.connectionId, i.subject, 1, T0 + 5001, T0 + 9000), true, 'a lapsed lock is re-taken');
      await get().federation.completeRefresh(i.connectionId, i.subject, 'sealed-new', T0 + 60_000);
      const after = await get().federation.findIdentity(i.connectionId, i.subject);
      assert.equal(after?.tokens, 'sealed-new');
      assert.equal(after?.tokensExpiresAt, T0 + 60_000);
      assert.equal(after?.version, 2);
      assert.equal(after?.refreshLockUntil, null);
      assert.equal(await get().federation.acquireRefreshLock(i.connectionId, i.subject, 1, T0, T0 + 5000), false, 'stale version');
      assert.equal(await get().federation.acquireRefreshLock(i.connectionId, i.subject, 2, T0, T0 + 5000), true);
      await get().federation.releaseRefreshLock(i.connectionId, i.subject);
      assert.equal((await get().federation.findIdentity(i.connectionId, i.subject))?.refreshLockUntil, null);
      await get().federation.completeRefresh(i.connectionId, i.subject, null, null);
      const cleared = await get().federation.findIdentity(i.connectionId, i.subject);
      assert.equal(cleared?.tokens, null);
      assert.equal(cleared?.version, 3);
    });
  });
}
