/**
 * `organization_selection_required` as the official SDK sees it: a user in two
 * organizations who signs in without naming one gets an AuthenticationException
 * with a pending authentication token, the user and the organizations;
 * `authenticateWithOrganizationSelection` completes it once, for an
 * organization the user belongs to. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import { partner, PASSWORD, sdk, signIn, type Partner } from './test-helpers.ts';

interface Refusal {
  status: number;
  code?: string;
  pendingAuthenticationToken?: string;
  rawData: { organizations?: Array<{ id: string; name: string }>; user?: { email: string } };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS organization selection (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let acme: string;
    let globex: string;
    let other: string;
    before(async () => {
      app = await startTestApp({ db });
      const ann = await createAccount(app.store, { email: 'ann@example.com', password: PASSWORD, name: 'Ann' }, Date.now());
      acme = (await createOrganization(app.store, `Acme ${db}`, Date.now())).id;
      globex = (await createOrganization(app.store, `Globex ${db}`, Date.now())).id;
      other = (await createOrganization(app.store, `Initech ${db}`, Date.now())).id;
      await app.store.orgs.addMembership({ userId: ann.id, organizationId: acme, role: 'member' }, Date.now());
      await app.store.orgs.addMembership({ userId: ann.id, organizationId: globex, role: 'admin' }, Date.now());
      conf = await partner(app, false);
    });
    after(() => app.close());

    async function refusal(): Promise<Refusal> {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const e = (await sdk(app, conf)
        .userManagement.authenticateWithCode({ code, clientId: conf.clientId })
        .then(
          () => assert.fail('expected organization_selection_required'),
          (err: unknown) => err,
        )) as Refusal;
      return e;
    }

    it('a user in two organizations gets the pending token, the user and both organizations', async () => {
      const e = await refusal();
      assert.equal(e.status, 403);
      assert.equal(e.code, 'organization_selection_required');
      assert.equal(typeof e.pendingAuthenticationToken, 'string');
      assert.equal(e.rawData.user?.email, 'ann@example.com');
      assert.deepEqual(e.rawData.organizations?.map((o) => o.id).sort(), [acme, globex].sort());
      assert.ok(e.rawData.organizations?.every((o) => typeof o.name === 'string' && o.name.length > 0));
    });

    it('authenticateWithOrganizationSelection completes it once, for the chosen organization', async () => {
      const e = await refusal();
      const um = sdk(app, conf).userManagement;
      const auth = await um.authenticateWithOrganizationSelection({
        clientId: conf.clientId,
        pendingAuthenticationToken: e.pendingAuthenticationToken!,
        organizationId: globex,
      });
      assert.equal(auth.organizationId, globex);
      assert.equal(auth.user.email, 'ann@example.com');
      assert.equal(decodeJwt(auth.accessToken).org_id, globex);
      const renewed = await um.authenticateWithRefreshToken({ refreshToken: auth.refreshToken, clientId: conf.clientId });
      assert.equal(renewed.organizationId, globex, 'the choice stays with the session');
      await assert.rejects(
        um.authenticateWithOrganizationSelection({
          clientId: conf.clientId,
          pendingAuthenticationToken: e.pendingAuthenticationToken!,
          organizationId: globex,
        }),
        (err: { status?: number; error?: string }) => err.status === 400 && err.error === 'invalid_grant',
        'single use',
      );
    });

    it('an organization the user is not in is refused', async () => {
      const e = await refusal();
      await assert.rejects(
        sdk(app, conf).userManagement.authenticateWithOrganizationSelection({
          clientId: conf.clientId,
          pendingAuthenticationToken: e.pendingAuthenticationToken!,
          organizationId: other,
        }),
        (err: { status?: number; rawData?: { code?: string } }) => err.status === 400 && err.rawData?.code === 'organization_membership_not_found',
      );
    });
  });
}
