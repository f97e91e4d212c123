/**
 * The HTML of /interaction/:uid carries what GET /bff/interaction/:uid answers the same browser, in
 * a `<script type="application/json">` element the sign-in screen reads instead of fetching: exactly
 * that answer, escaped so no value can close the element, never cached, and only for the browser
 * whose interaction cookie names that uid.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { INTERACTION_DATA_ID } from '../../api/interaction.ts';

const INDEX = '<!doctype html><html><head><title>Portal</title></head><body><div id="root"></div></body></html>';
/** A login hint that would end the element, open a comment or break a line in a script, if unescaped. */
const HOSTILE_HINT = '</script><script>alert(1)</script><!-- a&b \u2028\u2029 "q" \\';
const ELEMENT = new RegExp(`<script type="application/json" id="${INTERACTION_DATA_ID}">([^<]*)</script>`, 'g');

async function atInteraction(app: TestApp, loginHint?: string) {
  const agent = new Agent(app.url);
  const query = loginHint === undefined ? '' : `?login_hint=${encodeURIComponent(loginHint)}`;
  const { url } = await agent.follow(`/bff/login${query}`, (u) => u.pathname.startsWith('/interaction/'));
  return { agent, uid: url.pathname.split('/')[2]!, path: url.pathname };
}

/** The page as a browser asks for it, and the embedded values in it. */
async function page(agent: Agent, path: string) {
  const res = await agent.get(path, { accept: 'text/html' });
  const html = await res.text();
  return { res, html, embedded: [...html.matchAll(ELEMENT)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>) };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the interaction's data inside its page (${db})`, () => {
    let app: TestApp;
    let web: string;
    before(async () => {
      web = mkdtempSync(join(tmpdir(), 'portal-embed-web-'));
      writeFileSync(join(web, 'index.html'), INDEX);
      app = await startTestApp({ db, webDir: web });
    });
    after(async () => {
      await app.close();
      rmSync(web, { recursive: true, force: true });
    });

    it('is exactly what GET /bff/interaction/:uid answers this browser, and never stored by a cache', async () => {
      const s = await atInteraction(app);
      const p = await page(s.agent, s.path);
      assert.equal(p.res.status, 200);
      assert.match(p.res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(p.res.headers.get('cache-control'), 'no-store');
      assert.match(p.res.headers.get('vary') ?? '', /Accept-Encoding/i);
      const api = await s.agent.api('GET', `/bff/interaction/${s.uid}`);
      assert.equal(api.status, 200);
      assert.deepEqual(p.embedded, [await api.json()]);
      assert.equal(p.embedded[0]!.uid, s.uid);
      assert.ok(p.html.startsWith('<!doctype html>') && p.html.includes('<div id="root"></div>'), 'the rest of index.html is unchanged');
    });

    it('is escaped: a hostile value cannot close the element, and reads back unchanged', async () => {
      const s = await atInteraction(app, HOSTILE_HINT);
      const p = await page(s.agent, s.path);
      assert.equal(p.embedded.length, 1);
      assert.equal(p.embedded[0]!.loginHint, HOSTILE_HINT);
      const body = /<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/.exec(p.html)![1]!;
      assert.doesNotMatch(body, /[<>&\u2028\u2029]/);
      assert.equal((p.html.match(/<script/g) ?? []).length, 1, 'no other script element appeared');
    });

    it('is left out for an unknown uid, another browser, or a request that is not for HTML', async () => {
      const s = await atInteraction(app);
      const unknown = await page(s.agent, '/interaction/not-a-real-uid');
      assert.equal(unknown.res.status, 200);
      assert.deepEqual(unknown.embedded, []);
      assert.doesNotMatch(unknown.html, new RegExp(INTERACTION_DATA_ID));
      assert.equal(unknown.res.headers.get('cache-control'), 'no-cache');

      // A second browser that knows the uid but holds no cookie for it gets the bare page, as the JSON endpoint refuses it.
      const stranger = new Agent(app.url);
      const other = await page(stranger, s.path);
      assert.deepEqual(other.embedded, []);
      assert.equal((await stranger.api('GET', `/bff/interaction/${s.uid}`)).status, 404);

      // Another browser's own interaction does not open this one either.
      const t = await atInteraction(app);
      const crossed = await page(t.agent, s.path);
      assert.deepEqual(crossed.embedded, []);

      const json = await s.agent.get(s.path, { accept: 'application/json' });
      assert.doesNotMatch(await json.text(), new RegExp(INTERACTION_DATA_ID));
    });
  });
}
