/**
 * Branding through the real app: the contrast and logo checks before saving,
 * the stale-page check, the audit entry, and /branding.css changing without a
 * rebuild — at once on the instance that saved, within BRANDING_TTL_MS on
 * another instance of the same database.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { BRANDING_TTL_MS } from './branding.ts';
import { contrastRatio, primaryContrast } from '../../api/colour.ts';

const PASSWORD = 'correct horse battery staple';

describe('colour contrast (WCAG 2.x)', () => {
  it('computes the published ratios', () => {
    assert.equal(Math.round(contrastRatio('#000000', '#ffffff') * 100) / 100, 21);
    assert.equal(Math.floor(contrastRatio('#767676', '#ffffff') * 100) / 100, 4.54);
    assert.equal(Math.floor(contrastRatio('#777777', '#ffffff') * 100) / 100, 4.47);
    assert.deepEqual(
      primaryContrast('#2446c7').map((c) => c.ok),
      [true, true, true],
    );
    assert.deepEqual(
      primaryContrast('#777777').map((c) => c.ok),
      [false, false, false],
    );
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`branding (${db})`, () => {
    let app: TestApp;
    let other: TestApp;
    let admin: Agent;
    const valid = { portalName: 'Acme Login', logoUrl: null, primaryColour: '#7A1F5C', supportEmail: 'Help@Acme.test', updatedAt: 0 };

    before(async () => {
      app = await startTestApp({ db });
      // A second instance of the same portal (same PUBLIC_URL, so the BFF's client record stays the same).
      other = await startTestApp({ store: app.store, env: { PUBLIC_URL: app.url } });
      await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'admin@example.com', PASSWORD);
    });
    after(async () => {
      await other?.close();
      await app?.close();
    });

    const css = async (a: TestApp) => (await fetch(`${a.url}/branding.css`)).text();

    it('is for admins only', async () => {
      const user = await signedInAgent(app.url, 'user@example.com', PASSWORD);
      assert.equal((await user.api('PUT', '/bff/admin/branding', valid)).status, 403);
      assert.equal((await new Agent(app.url).api('GET', '/bff/admin/branding')).status, 401);
    });

    it('refuses a colour without AA contrast, a logo that is not https or cannot be fetched, a bad email; nothing saved', async () => {
      const weak = await admin.api('PUT', '/bff/admin/branding', { ...valid, primaryColour: '#ffcc00' });
      assert.equal(weak.status, 400);
      const body = await weak.json();
      assert.equal(body.error, 'invalid_branding');
      assert.match(body.fields.primaryColour, /^Too little contrast for WCAG AA \(4\.5:1\): white text on the colour is 1\.\d+:1/);
      const http = await admin.api('PUT', '/bff/admin/branding', { ...valid, logoUrl: 'http://acme.test/logo.png' });
      assert.equal((await http.json()).fields.logoUrl, 'The logo must be an https:// address or an uploaded image.');
      const internal = await admin.api('PUT', '/bff/admin/branding', { ...valid, logoUrl: 'https://127.0.0.1:9/logo.png' });
      assert.equal((await internal.json()).error, 'logo_unreachable');
      const email = await admin.api('PUT', '/bff/admin/branding', { ...valid, supportEmail: 'not an email' });
      assert.equal((await email.json()).fields.supportEmail, 'That is not a valid email address.');
      assert.equal(await app.store.settings.get('branding'), null);
      assert.match(await css(app), /--primary:#2446c7/);
    });

    it('saves, applies to /branding.css at once here and within the cache time on another instance, refuses a stale page, audits', async () => {
      assert.match(await css(other), /--primary:#2446c7/, 'the other instance has the default cached');
      const saved = await admin.api('PUT', '/bff/admin/branding', valid);
      assert.equal(saved.status, 200);
      const { branding } = await saved.json();
      assert.deepEqual(
        { ...branding, updatedAt: 0 },
        { portalName: 'Acme Login', logoUrl: null, primaryColour: '#7a1f5c', supportEmail: 'help@acme.test', updatedAt: 0 },
      );
      assert.match(await css(app), /^html:root\{--primary:#7a1f5c;/);
      assert.deepEqual(await (await fetch(`${app.url}/bff/branding`)).json(), { portalName: 'Acme Login', logoUrl: null, supportEmail: 'help@acme.test' });
      const first = await fetch(`${app.url}/branding.css`);
      const again = await fetch(`${app.url}/branding.css`, { headers: { 'if-none-match': first.headers.get('etag')! } });
      assert.equal(again.status, 304);

      if (db === 'sqlite') assert.match(await css(other), /--primary:#2446c7/, 'no notifications on SQLite: still cached');
      other.clock.offset = BRANDING_TTL_MS;
      assert.match(await css(other), /--primary:#7a1f5c/);

      const stale = await admin.api('PUT', '/bff/admin/branding', { ...valid, primaryColour: '#1e6b3a', updatedAt: 0 });
      assert.equal(stale.status, 409);
      assert.equal((await stale.json()).error, 'stale_page');
      assert.match(await css(app), /--primary:#7a1f5c/);
      const [entry] = await app.store.audit.list({ kind: 'branding_changed', limit: 5 });
      assert.equal((entry?.data.to as { primaryColour: string }).primaryColour, '#7a1f5c');
    });
  });
}
