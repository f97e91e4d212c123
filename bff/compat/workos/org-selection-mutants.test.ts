/**
 * WorkOS pending authentications (org-selection.ts) called directly on the
 * real app's deps, where mutation testing (docs/mutation.md) found them
 * unchecked: the token's shape, the store row (its key, sealed, bound to its
 * key, with the expiry the sweep reads: ten minutes by default), reading
 * without spending and taking once, lapsing on the app's clock, the exact
 * organization_selection_required refusal (only organizations that exist, in
 * order) and takePendingAuthentication refusing another kind of pending token.
 * Real store, SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { openStoreDeps, type StoreDeps } from '../../testing/temp-store.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import { putPending, readPending, requireOrganizationSelection, takePendingAuthentication, type PendingAuthentication } from './org-selection.ts';
import { WorkOSError, workosUser } from './map.ts';
import { PASSWORD } from './test-helpers.ts';

const T = { timeout: 20000 };
const TEN_MINUTES = 10 * 60 * 1000;
const rowOf = (token: string) => `workos-pending:${createHash('sha256').update(token).digest('base64url')}`;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS pending authentications, exactly (${db})`, () => {
    let app: StoreDeps;
    before(async () => {
      app = await openStoreDeps(db);
    });
    after(() => app.drop());

    const pending = (grantId: string): PendingAuthentication => ({ refreshToken: `rt-${grantId}`, clientId: 'c1', accountId: 'u1', grantId, amr: ['pwd'] });

    it('a token of 32 random bytes; the row under its hash, sealed, lapsing after ten minutes', T, async () => {
      const t0 = app.deps.now();
      const token = await putPending(app.deps, pending('g1'));
      const t1 = app.deps.now();
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(await putPending(app.deps, pending('g1')), token);
      const sealed = await app.store.settings.get(rowOf(token));
      assert.ok(sealed);
      assert.equal(sealed.includes('rt-g1'), false, 'sealed, not plain');
      // The sweep keeps it until its ten minutes are over, then deletes it.
      await app.store.settings.sweep(t0 + TEN_MINUTES - 1);
      assert.equal(await app.store.settings.get(rowOf(token)), sealed);
      await app.store.settings.sweep(t1 + TEN_MINUTES + 1);
      assert.equal(await app.store.settings.get(rowOf(token)), null);
    });

    it('read without spending, taken once; a given lifetime; lapsed on the clock', T, async () => {
      const token = await putPending(app.deps, pending('g2'));
      assert.deepEqual(await readPending(app.deps, token, false), pending('g2'));
      assert.deepEqual(await readPending(app.deps, token, false), pending('g2'));
      assert.deepEqual(await readPending(app.deps, token, true), pending('g2'));
      assert.equal(await readPending(app.deps, token, true), null);
      assert.equal(await readPending(app.deps, token, false), null);
      assert.equal(await readPending(app.deps, 'unknown', false), null);
      assert.equal(await readPending(app.deps, 'unknown', true), null);

      const short = await putPending(app.deps, { x: 1 }, 60_000);
      const long = await putPending(app.deps, { x: 2 });
      try {
        app.clock.offset = 30_000;
        assert.deepEqual(await readPending(app.deps, short, false), { x: 1 });
        app.clock.offset = 61_000;
        assert.equal(await readPending(app.deps, short, false), null);
        assert.deepEqual(await readPending(app.deps, long, false), { x: 2 });
        app.clock.offset = TEN_MINUTES - 5_000;
        assert.deepEqual(await readPending(app.deps, long, false), { x: 2 });
        app.clock.offset = TEN_MINUTES + 1_000;
        assert.equal(await readPending(app.deps, long, false), null);
        // A lapsed one taken is gone too.
        assert.equal(await readPending(app.deps, long, true), null);
        app.clock.offset = 0;
        assert.equal(await readPending(app.deps, long, false), null);
      } finally {
        app.clock.offset = 0;
      }
    });

    it("a sealed value moved under another token's row opens to nothing", T, async () => {
      const a = await putPending(app.deps, pending('ga'));
      const b = await putPending(app.deps, pending('gb'));
      await app.store.settings.set(rowOf(b), (await app.store.settings.get(rowOf(a)))!);
      assert.equal(await readPending(app.deps, b, false), null);
      assert.equal(await readPending(app.deps, b, true), null);
      assert.deepEqual(await readPending(app.deps, a, false), pending('ga'));
    });

    it('a row sealed by an earlier run (the same keys) still opens: the sealing parameters are fixed', T, async () => {
      // Sealed once with DATA_ENCRYPTION_KEYS of the tests, version wpa1, salt portal-workos,
      // info "workos pending authentication", under the row of the token "golden-token".
      const golden = 'wpa1.1.qtpz7210Hb6zZYqi.WhKBQ6btHLD126jIeR4d5Z0vTe_Lan60ly8263BM1Cl5MTcQ3ue2L7XBX--6tWfm.Rcl1g5CxRs7swfCkObUHZA';
      await app.store.settings.set(rowOf('golden-token'), golden);
      assert.deepEqual(await readPending(app.deps, 'golden-token', false), { grantId: 'g-golden' });
      assert.match((await app.store.settings.get(rowOf(await putPending(app.deps, { x: 1 }))))!, /^wpa1\.1\./);
    });

    it('lapses at its expiry exactly (a frozen clock)', T, async () => {
      const at = Date.now();
      app.clock.offset = 0;
      const frozen = { ...app.deps, now: () => at } as typeof app.deps;
      const token = await putPending(frozen, { y: 1 }, 1000);
      assert.deepEqual(await readPending({ ...frozen, now: () => at + 999 } as typeof app.deps, token, false), { y: 1 });
      assert.equal(await readPending({ ...frozen, now: () => at + 1000 } as typeof app.deps, token, false), null);
    });

    it('organization_selection_required: the pending token, the user, the organizations that exist in order', T, async () => {
      const user = await createAccount(app.store, { email: `os-${db}@example.com`, password: PASSWORD, name: 'Os Car' }, Date.now());
      const zed = await createOrganization(app.store, `Zed ${db}`, Date.now());
      const acme = await createOrganization(app.store, `Acme ${db}`, Date.now());
      let caught: unknown;
      try {
        await requireOrganizationSelection(app.deps, pending('g3'), user, [zed.id, 'org_gone', acme.id]);
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof WorkOSError);
      const token = String(caught.extra?.pending_authentication_token);
      assert.deepEqual(
        [caught.status, caught.oauthError, caught.code, caught.message, caught.extra],
        [
          403,
          'organization_selection_required',
          'organization_selection_required',
          'The user must choose the organization to sign in to.',
          {
            pending_authentication_token: token,
            user: workosUser(user),
            organizations: [
              { id: zed.id, name: `Zed ${db}` },
              { id: acme.id, name: `Acme ${db}` },
            ],
          },
        ],
      );
      assert.deepEqual(await takePendingAuthentication(app.deps, token), pending('g3'));
      assert.equal(await takePendingAuthentication(app.deps, token), null);
    });

    it("takePendingAuthentication: another kind's pending token is none, and is spent", T, async () => {
      const token = await putPending(app.deps, { kind: 'mfa', clientId: 'c1', accountId: 'u1', amr: [] });
      assert.equal(await takePendingAuthentication(app.deps, token), null);
      assert.equal(await readPending(app.deps, token, false), null);
      assert.equal(await takePendingAuthentication(app.deps, 'unknown'), null);
    });
  });
}
