/**
 * Logo upload (issue 11) through the real app on both databases: admins only and CSRF-checked,
 * PNG/JPEG/WebP judged by their bytes, SVG and disguised files refused, a size cap, the image
 * served under its content hash with its type, nosniff and a sandboxing CSP, and the address
 * accepted as the branding's logo only while the image exists; images the branding does not name
 * are swept a day after upload or replacement.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { LOGO_MAX_BYTES, readLogo } from './logo.ts';

const PASSWORD = 'correct horse battery staple';
// A 1×1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`branding logo upload (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'admin@example.com', PASSWORD);
    });
    after(() => app?.close());

    const upload = (agent: Agent, body: Buffer, type: string, csrf = true) =>
      fetch(`${app.url}/bff/admin/branding/logo`, {
        method: 'PUT',
        headers: {
          cookie: agent.cookieHeader(),
          'content-type': type,
          accept: 'application/json',
          ...(csrf ? { 'x-portal-csrf': '1', origin: app.url, 'sec-fetch-site': 'same-origin' } : {}),
        },
        body: new Uint8Array(body),
      });
    const error = async (res: Response) => [res.status, ((await res.json()) as { error: string }).error];

    it('is for admins only, through the CSRF check', async () => {
      const user = await signedInAgent(app.url, 'user@example.com', PASSWORD);
      assert.equal((await upload(user, PNG, 'image/png')).status, 403);
      assert.equal((await upload(new Agent(app.url), PNG, 'image/png')).status, 401);
      assert.deepEqual(await error(await upload(admin, PNG, 'image/png', false)), [403, 'csrf_rejected']);
    });

    it('refuses SVG, a file whose bytes are not what it claims, an empty one and one over the cap', async () => {
      assert.deepEqual(await error(await upload(admin, SVG, 'image/svg+xml')), [415, 'logo_type']);
      assert.deepEqual(await error(await upload(admin, SVG, 'image/png')), [415, 'logo_type']);
      assert.deepEqual(await error(await upload(admin, PNG, 'image/jpeg')), [415, 'logo_type']);
      assert.deepEqual(await error(await upload(admin, Buffer.alloc(0), 'image/png')), [400, 'logo_empty']);
      const big = Buffer.concat([PNG, Buffer.alloc(LOGO_MAX_BYTES)]);
      assert.deepEqual(await error(await upload(admin, big, 'image/png')), [413, 'body_too_large']);
    });

    it('stores a PNG under its content hash, serves it safely, and lets the branding name it', async () => {
      const res = await upload(admin, PNG, 'image/png');
      assert.equal(res.status, 201);
      const { logoUrl } = (await res.json()) as { logoUrl: string };
      assert.match(logoUrl, /^\/branding\/logo\/[0-9a-f]{32}\.png$/);
      const again = (await (await upload(admin, PNG, 'image/png')).json()) as { logoUrl: string };
      assert.equal(again.logoUrl, logoUrl, 'the same image, the same address');

      const served = await fetch(`${app.url}${logoUrl}`);
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('content-type'), 'image/png');
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(served.headers.get('content-security-policy'), "default-src 'none'; sandbox");
      assert.match(served.headers.get('cache-control') ?? '', /immutable/);
      assert.ok(Buffer.from(await served.arrayBuffer()).equals(PNG));
      assert.equal((await fetch(`${app.url}${logoUrl.replace('.png', '.jpg')}`)).status, 404);
      assert.equal((await fetch(`${app.url}/branding/logo/${'0'.repeat(32)}.png`)).status, 404);

      const [entry] = await app.store.audit.list({ kind: 'branding_logo_uploaded', limit: 1 });
      assert.deepEqual(entry?.data, { url: logoUrl, type: 'image/png', bytes: PNG.length });

      const base = { portalName: 'Acme', primaryColour: '#2446c7', supportEmail: null };
      const current = ((await (await admin.api('GET', '/bff/admin/branding')).json()) as { branding: { updatedAt: number } }).branding.updatedAt;
      const missing = await admin.api('PUT', '/bff/admin/branding', { ...base, logoUrl: `/branding/logo/${'0'.repeat(32)}.png`, updatedAt: current });
      assert.deepEqual(await error(missing), [400, 'logo_not_found']);
      const elsewhere = await admin.api('PUT', '/bff/admin/branding', { ...base, logoUrl: '/etc/passwd', updatedAt: current });
      assert.deepEqual(await error(elsewhere), [400, 'invalid_branding']);
      const saved = await admin.api('PUT', '/bff/admin/branding', { ...base, logoUrl, updatedAt: current });
      assert.equal(saved.status, 200);
      assert.deepEqual(await (await fetch(`${app.url}/bff/branding`)).json(), { portalName: 'Acme', logoUrl, supportEmail: null });
    });

    it('keeps the logo the branding names; an upload never saved and a replaced logo are swept a day later', async () => {
      const pngWith = (n: number) => Buffer.concat([PNG, Buffer.from([n])]);
      const address = async (body: Buffer) => ((await (await upload(admin, body, 'image/png')).json()) as { logoUrl: string }).logoUrl;
      const save = async (logoUrl: string) => {
        const { updatedAt } = ((await (await admin.api('GET', '/bff/admin/branding')).json()) as { branding: { updatedAt: number } }).branding;
        const res = await admin.api('PUT', '/bff/admin/branding', { portalName: 'Acme', primaryColour: '#2446c7', supportEmail: null, logoUrl, updatedAt });
        assert.equal(res.status, 200, await res.clone().text());
      };
      // What the Store holds (a process that served an image keeps its copy: the address is its content hash).
      const storedAt = async (url: string) => ((await readLogo(app.store, url)) ? 200 : 404);
      const sweepAfter = (ms: number) => app.store.settings.sweep(Date.now() + ms);
      const HOUR = 60 * 60 * 1000;

      const first = await address(pngWith(1));
      await save(first);
      const unsaved = await address(pngWith(2));
      const second = await address(pngWith(3));
      await save(second);
      // Within the day everything is still served (pages sent before the change name the old logo).
      await sweepAfter(23 * HOUR);
      assert.deepEqual([await storedAt(first), await storedAt(unsaved), await storedAt(second)], [200, 200, 200]);
      await sweepAfter(25 * HOUR);
      assert.deepEqual([await storedAt(first), await storedAt(unsaved), await storedAt(second)], [404, 404, 200], 'replaced, never saved, current');
      // The current logo stays however long it is named, and uploading it again does not shorten that.
      assert.equal(await address(pngWith(3)), second);
      await sweepAfter(400 * 24 * HOUR);
      assert.equal(await storedAt(second), 200);
    });
  });
}
