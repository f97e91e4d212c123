/**
 * The addresses a newcomer guesses: root discovery redirects to the issuer's
 * (and an openid-client pointed at it follows to the real metadata), and
 * /oauth/auth names the authorization endpoint instead of a bare Not Found.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`newcomer addresses (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    it('GET /.well-known/openid-configuration at the root is a 302 to the issuer’s, which answers the metadata', async () => {
      const res = await fetch(`${app.url}/.well-known/openid-configuration`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      const location = res.headers.get('location');
      assert.equal(location, `${app.config.issuer}/.well-known/openid-configuration`);
      const followed = await fetch(`${app.url}/.well-known/openid-configuration`);
      assert.equal(followed.status, 200);
      const metadata = (await followed.json()) as { issuer: string; authorization_endpoint: string };
      assert.deepEqual([metadata.issuer, metadata.authorization_endpoint], [app.config.issuer, `${app.config.issuer}/authorize`]);
    });

    it('GET /oauth/auth answers 404 that names /oauth/authorize: JSON for an API client, a page with an h1 for a browser', async () => {
      const json = await fetch(`${app.url}/oauth/auth?client_id=x`, { headers: { accept: 'application/json' } });
      assert.equal(json.status, 404);
      assert.deepEqual(await json.json(), {
        error: 'not_found',
        error_description: `The authorization endpoint is ${app.config.issuer}/authorize (the full list is at ${app.config.issuer}/.well-known/openid-configuration).`,
        authorization_endpoint: `${app.config.issuer}/authorize`,
        discovery: `${app.config.issuer}/.well-known/openid-configuration`,
      });
      const page = await fetch(`${app.url}/oauth/auth`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 404);
      const html = await page.text();
      assert.match(html, /<h1>This is not the authorization endpoint<\/h1>/);
      assert.ok(html.includes(`<code>${app.config.issuer}/authorize</code>`));
    });
  });
}
