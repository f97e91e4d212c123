/**
 * Branding applied without a rebuild (issue 11): once an administrator saves a name and a support
 * address, the server-rendered pages, every mail (subject, body, sender's name) and the SPA's
 * index.html carry them. Through the real app and mail worker on both databases; index.html
 * through the real SPA mount on a real build folder.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { simpleParser } from 'mailparser';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { mountSpa } from '../http/spa.ts';
import { brandIndexHtml, DEFAULT_BRANDING } from './branding.ts';

const PASSWORD = 'correct horse battery staple';
const BRAND = { portalName: 'Acme <Login>', logoUrl: null, primaryColour: '#2446c7', supportEmail: 'help@acme.test', updatedAt: 0 };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`branding on pages and mails (${db})`, () => {
    let app: TestApp;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'portal-brand-mail-'));
      app = await startTestApp({ db, env: { MAIL_DIR: dir, MAIL_FROM: '"Portal" <no-reply@portal.test>' } });
      await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
    });
    after(async () => {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const errorPage = async () =>
      (await new Agent(app.url).get('/oauth/authorize?client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fx.test%2Fcb')).text();

    async function resetMail() {
      for (const f of readdirSync(dir)) rmSync(join(dir, f));
      assert.equal((await new Agent(app.url).api('POST', '/bff/password-reset', { email: 'user@example.com' })).status, 202);
      await app.mail.worker!.runOnce();
      const [file] = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      return simpleParser(readFileSync(join(dir, file!)));
    }

    it('says "Portal" and MAIL_FROM\'s name until branding is saved', async () => {
      const page = await errorPage();
      assert.match(page, /<title>Sign-in error · Portal<\/title>/);
      assert.doesNotMatch(page, /Need help/);
      const mail = await resetMail();
      assert.equal(mail.subject, 'Reset your password · Portal');
      assert.equal(mail.from?.value[0]?.name, 'Portal');
      assert.doesNotMatch(mail.text ?? '', /Questions\?/);
    });

    it('after a save: the name and support address on the error pages and in every mail, the sender named too', async () => {
      const admin = await signedInAgent(app.url, 'admin@example.com', PASSWORD);
      assert.equal((await admin.api('PUT', '/bff/admin/branding', BRAND)).status, 200);
      const page = await errorPage();
      assert.match(page, /<title>Sign-in error · Acme &#60;Login&#62;<\/title>/, 'escaped');
      assert.match(page, /<a class="topbar__brand" href="\/">Acme &#60;Login&#62;<\/a>/);
      assert.match(page, /Need help\? Write to <a href="mailto:help@acme\.test">help@acme\.test<\/a>/);
      const mail = await resetMail();
      assert.equal(mail.subject, 'Reset your password · Acme <Login>');
      assert.deepEqual(mail.from?.value[0], { name: 'Acme <Login>', address: 'no-reply@portal.test' });
      assert.match(mail.text ?? '', /your Acme <Login> account/);
      assert.match(mail.text ?? '', /Questions\? Write to help@acme\.test\./);
      assert.match(String(mail.html), /mailto:help@acme\.test/);
      assert.match(String(mail.html), /Acme &lt;Login&gt;/);
    });
  });
}

describe('index.html carries the branding', () => {
  let web: string;
  let server: ReturnType<express.Express['listen']>;
  let origin: string;
  let brand = DEFAULT_BRANDING;
  before(async () => {
    web = mkdtempSync(join(tmpdir(), 'portal-web-'));
    writeFileSync(
      join(web, 'index.html'),
      '<!doctype html><html><head><title>Portal</title><link rel="stylesheet" href="/branding.css" /></head><body><div id="root"></div></body></html>',
    );
    writeFileSync(join(web, 'index.html.gz'), 'not really gzip');
    const app = express();
    mountSpa(app, web, (_req, _res, next) => next(), { personalise: async (html) => brandIndexHtml(html, brand) });
    await new Promise<void>((r) => {
      server = app.listen(0, '127.0.0.1', () => r());
    });
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server?.close();
    rmSync(web, { recursive: true, force: true });
  });

  const page = async (path = '/') => {
    const res = await fetch(`${origin}${path}`, { headers: { accept: 'text/html', 'accept-encoding': 'gzip' } });
    return { res, html: await res.text() };
  };

  it('answers every screen with the name in the title and the meta tag, escaped, read per request, never cached stale', async () => {
    const before = await page('/interaction/abc');
    assert.match(before.html, /<title>Portal<\/title>/);
    assert.match(
      before.html,
      /<meta name="portal-branding" content="\{&quot;portalName&quot;:&quot;Portal&quot;,&quot;logoUrl&quot;:null,&quot;supportEmail&quot;:null\}" \/><\/head>/,
    );
    assert.equal(before.res.headers.get('cache-control'), 'no-cache');
    // Compressed on the fly (the html above decoded to the branded page), never the stale precompressed copy of index.html.
    assert.equal(before.res.headers.get('vary'), 'Accept-Encoding');

    brand = { ...BRAND, portalName: 'Acme "Login"', logoUrl: 'https://cdn.acme.test/logo.png', updatedAt: 1 };
    const after = await page('/account');
    assert.match(after.html, /<title>Acme &quot;Login&quot;<\/title>/);
    const content = /name="portal-branding" content="([^"]*)"/.exec(after.html)![1]!;
    assert.deepEqual(JSON.parse(content.replaceAll('&quot;', '"').replaceAll('&amp;', '&')), {
      portalName: 'Acme "Login"',
      logoUrl: 'https://cdn.acme.test/logo.png',
      supportEmail: 'help@acme.test',
    });
    assert.match(after.html, /<link rel="preload" as="image" href="https:\/\/cdn\.acme\.test\/logo\.png" \/>/);
  });
});
