/**
 * The behaviour every Store implementation must show. Implementations call
 * runStoreContract from their own *.test.ts. Every test uses fresh random ids
 * so the suite can run repeatedly against a shared database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditContract } from './contract/audit.ts';
import { identityContract } from './contract/identity.ts';
import { oidcContract } from './contract/oidc.ts';
import { orgsContract } from './contract/orgs.ts';
import { consoleContract } from './contract/console.ts';
import { federationContract } from './contract/federation.ts';
import { sessionsContract } from './contract/sessions.ts';
import { impersonationsContract } from './contract/impersonations.ts';
import { resourcesContract } from './contract/resources.ts';
import { apiRoutesContract } from './contract/api-routes.ts';
import { userConsoleContract } from './contract/user-console.ts';
import { transactionContract } from './contract/transaction.ts';
import { passkeysContract } from './contract/passkeys.ts';
import { mfaContract } from './contract/mfa.ts';
import type { Store } from './store.ts';

export function runStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | undefined;
    const get = (): Store => {
      if (!store) throw new Error('store not opened (see the before hook failure)');
      return store;
    };

    before(async () => {
      store = await makeStore();
      await store.migrate();
    });
    after(async () => {
      await store?.close();
    });

    it('migrates idempotently and answers ping', async () => {
      await get().migrate();
      await get().ping();
      assert.ok(get().kind === 'sqlite' || get().kind === 'postgres');
    });

    identityContract(get);
    oidcContract(get);
    sessionsContract(get);
    impersonationsContract(get);
    auditContract(get);
    orgsContract(get);
    consoleContract(get);
    federationContract(get);
    resourcesContract(get);
    apiRoutesContract(get);
    userConsoleContract(get);
    transactionContract(get);
    passkeysContract(get);
    mfaContract(get);
  });
}
