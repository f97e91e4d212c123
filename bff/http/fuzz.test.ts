/**
 * A bounded, seeded fuzz of every HTTP route of the real app, on SQLite and
 * PostgreSQL: malformed paths and query strings, bodies in the wrong type or
 * charset, NUL and invalid UTF-8, huge and deep JSON, garbage cookies, from a
 * stranger and from a signed-in admin. Not one answer may be a 5xx.
 * Reproduce a failure with FUZZ_SEED=<the printed seed>.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { collectRoutes, mulberry32, type Fuzz, type Sent } from './fuzz-inputs.ts';

const PASSWORD = 'correct horse battery staple';
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));

/** Raw HTTP, so malformed paths and bodies reach the server byte for byte (fetch would normalise them). */
function send(base: URL, s: Sent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: s.method,
        path: s.path,
        headers: { ...s.headers, ...(s.body ? { 'content-length': String(s.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 300) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(s.body);
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`fuzz: no input gets a 5xx (${db})`, () => {
    let app: TestApp;
    let adminCookie: string;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.deps.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await app.deps.store.clients.upsert({
        clientId: 'fuzz-partner',
        name: 'Fuzz partner',
        secret: 'fuzz-partner-secret-fuzz-partner-secret',
        redirectUris: ['https://partner.example/cb'],
        postLogoutRedirectUris: [],
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        logoUrl: null,
        firstParty: false,
        createdAt: Date.now(),
      });
      adminCookie = (await signedInAgent(app.url, 'root@example.com', PASSWORD)).cookieHeader();
    });
    after(() => app.close());

    it(`answers ${REQUESTS} malformed requests without a single 5xx`, async () => {
      const base = new URL(app.url);
      const discovery = (await (await fetch(`${app.url}/oauth/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      const routes = collectRoutes(app.app, discovery);
      const fuzz: Fuzz = mulberry32(SEED);
      const failures: string[] = [];
      let answered = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const s = fuzz.request(routes, {
          origin: app.url,
          adminCookie,
          basic: 'Basic ' + Buffer.from('fuzz-partner:fuzz-partner-secret-fuzz-partner-secret').toString('base64'),
        });
        const r = await send(base, s);
        answered++;
        // The test app serves no built SPA on purpose: its page says so with a 503, and that is the one expected 5xx.
        const spa = !/^\/(bff|oauth|healthz)(\/|\?|$)/.test(s.path);
        if (r.status === 503 && spa && (r.body.startsWith('The web app has not been built') || s.method === 'HEAD')) continue;
        if (r.status >= 500)
          failures.push(
            `${r.status} ${s.method} ${s.path} ${JSON.stringify(s.headers)} body=${JSON.stringify(s.body?.toString('latin1').slice(0, 200))} → ${r.body}`,
          );
      }
      assert.equal(answered, REQUESTS);
      assert.deepEqual(
        failures,
        [],
        `FUZZ_SEED=${SEED}: ${failures.length} request(s) got a 5xx:\n${failures
          .slice(0, 10)
          .map((f) => f.slice(0, 600))
          .join('\n')}`,
      );
    });
  });
}
