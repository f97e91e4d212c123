/**
 * Test helpers for federation: drive a browser (the cookie-keeping Agent)
 * through the portal and the real upstream provider, across both origins.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Agent } from '../testing/agent.ts';
import type { TestApp } from '../testing/test-app.ts';
import type { UpstreamOp } from '../testing/upstream-op.ts';
import { createConnection } from './connections.ts';

export interface Stop {
  (url: URL): boolean;
}

/** Follows redirects on any origin with the agent's cookies, until `stop` says so or a page answers. */
export async function browse(agent: Agent, start: string | URL, stop: Stop = () => false): Promise<{ res: Response | null; url: URL }> {
  let url = new URL(start, agent.origin);
  for (let i = 0; i < 25; i++) {
    if (stop(url)) return { res: null, url };
    const res = await agent.get(url.href);
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc) {
      url = new URL(loc, url);
      continue;
    }
    return { res, url };
  }
  throw new Error('too many redirects');
}

/** Where a federation journey may come to rest on the portal. */
export function portalStop(app: TestApp): Stop {
  const origin = new URL(app.url).origin;
  return (u) => u.origin === origin && (u.pathname === '/account' || u.pathname.startsWith('/federation/error') || u.pathname.startsWith('/interaction/'));
}

export const upstreamLoginPage =
  (issuer: string): Stop =>
  (u) =>
    u.origin === new URL(issuer).origin && u.pathname.startsWith('/interaction/');

/** /bff/login up to the portal's sign-in interaction; returns its uid. */
export async function portalInteraction(app: TestApp, agent: Agent): Promise<string> {
  const { url } = await browse(agent, '/bff/login?returnTo=/account', portalStop(app));
  assert.match(url.pathname, /^\/interaction\//, `expected the sign-in interaction, got ${url.href}`);
  return url.pathname.split('/')[2]!;
}

/** Posts the upstream's own login form (or its Cancel form) as a browser would. */
export async function submitUpstreamForm(agent: Agent, loginPage: URL, form: { email: string; password: string } | 'cancel'): Promise<URL> {
  const page = await agent.get(loginPage.href);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const action =
    form === 'cancel' ? /<form method="post" action="([^"]+\/abort)"/.exec(html)?.[1] : /<form method="post" action="([^"]+\/login)"/.exec(html)?.[1];
  assert.ok(action, 'the upstream login page has its form');
  const res = await fetch(new URL(action, loginPage), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: agent.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: form === 'cancel' ? '' : new URLSearchParams(form).toString(),
  });
  agent.store(res);
  assert.ok(res.status === 303 || res.status === 302, `upstream form answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get('location')!, loginPage);
}

export interface Journey {
  uid: string;
  /** Where the portal let the browser rest: /account, /federation/error?…, or /interaction/:uid. */
  end: URL;
}

/**
 * The whole journey: portal sign-in → "Continue with" → upstream login form →
 * portal callback → wherever the portal sends the browser. `beforeCallback`
 * may rewrite the callback URL (tampering tests).
 */
export async function federate(
  app: TestApp,
  agent: Agent,
  issuer: string,
  connectionId: string,
  form: { email: string; password: string } | 'cancel',
  opts: { beforeCallback?: (u: URL) => URL; loginHint?: string } = {},
): Promise<Journey> {
  const uid = await portalInteraction(app, agent);
  const hint = opts.loginHint ? `&login_hint=${encodeURIComponent(opts.loginHint)}` : '';
  const { url: login } = await browse(agent, `/bff/federation/${connectionId}/start?uid=${uid}${hint}`, upstreamLoginPage(issuer));
  assert.equal(login.origin, new URL(issuer).origin, `expected the upstream login page, got ${login.href}`);
  const afterForm = await submitUpstreamForm(agent, login, form);
  const isCallback: Stop = (u) => u.origin === new URL(app.url).origin && u.pathname === '/bff/federation/callback';
  const { url: callback } = await browse(agent, afterForm, isCallback);
  assert.ok(isCallback(callback), `expected the portal callback, got ${callback.href}`);
  const { url: end } = await browse(agent, opts.beforeCallback ? opts.beforeCallback(callback) : callback, portalStop(app));
  return { uid, end };
}

/** Rows of a table read with plain SQL, bypassing the Store (what an attacker with the database sees). */
export async function rawRows(app: TestApp, sql: string): Promise<Record<string, unknown>[]> {
  const url = app.config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const db = new DatabaseSync(url.slice('sqlite:'.length), { readOnly: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** A social connection named "Upstream" to the loopback upstream OP; returns its id. */
export async function upstreamConnection(app: TestApp, up: UpstreamOp): Promise<string> {
  const c = await createConnection(
    { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate },
    {
      name: 'Upstream',
      issuer: up.issuer,
      clientId: up.clientId,
      clientSecret: up.clientSecret,
      scopes: ['openid', 'email', 'profile'],
    },
  );
  return c.id;
}
