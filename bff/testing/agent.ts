/**
 * A cookie-keeping HTTP user agent for integration tests: follows redirects by
 * hand so each hop can be inspected, and sends the same-origin headers a
 * browser's fetch would. Real HTTP against the real app; no mocks.
 */
import { answerSecondFactor, enrolTotp, setUpInInteraction } from './second-factor.ts';

export interface Cookie {
  name: string;
  value: string;
  attrs: string;
}

export class Agent {
  readonly origin: string;
  readonly jar = new Map<string, Cookie>();

  constructor(origin: string) {
    this.origin = origin;
  }

  cookieHeader(): string {
    return [...this.jar.values()].map((c) => `${c.name}=${c.value}`).join('; ');
  }

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...rest] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const attrs = rest.join(';');
      if (!value || /expires=Thu, 01 Jan 1970/i.test(attrs) || /max-age=0/i.test(attrs)) this.jar.delete(name);
      else this.jar.set(name, { name, value, attrs });
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(new URL(path, this.origin), { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } });
    this.store(res);
    return res;
  }

  /** A same-origin JSON call, as the SPA makes it. */
  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(new URL(path, this.origin), {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        accept: 'application/json',
        ...(method !== 'GET' ? { 'x-portal-csrf': '1', origin: this.origin, 'sec-fetch-site': 'same-origin' } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    this.store(res);
    return res;
  }

  /** Follows Location headers on this origin until one leaves it or a page answers. Returns the last response and its URL. */
  async follow(start: string, stopAt?: (url: URL) => boolean): Promise<{ res: Response; url: URL }> {
    let url = new URL(start, this.origin);
    for (let i = 0; i < 20; i++) {
      if (stopAt?.(url) || url.origin !== new URL(this.origin).origin) {
        return { res: new Response(null, { status: 204 }), url };
      }
      const res = await this.get(url.href);
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        url = new URL(loc, url);
        continue;
      }
      // oidc-provider's self-submitting forms (e.g. ending the previous account's session when
      // another account signs in): a browser's script would post them, so we do too.
      const html = res.status === 200 && (res.headers.get('content-type') ?? '').includes('html') ? await res.clone().text() : '';
      const form = /<title>Submitting Callback<\/title>[\s\S]*?<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
      if (form) {
        const body = new URLSearchParams();
        for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) body.set(m[1]!, m[2]!);
        const posted = await fetch(form[1]!, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', origin: this.origin },
          body,
        });
        this.store(posted);
        const next = posted.headers.get('location');
        if (posted.status >= 300 && posted.status < 400 && next) {
          url = new URL(next, form[1]!);
          continue;
        }
        return { res: posted, url: new URL(form[1]!) };
      }
      return { res, url };
    }
    throw new Error('too many redirects');
  }
}

/**
 * Drives an authorization request to its interaction, signs in, and (when
 * asked) consents, returning the final redirect that leaves the portal.
 */
export async function authorizeThrough(
  agent: Agent,
  authorizeUrl: string,
  opts: { email: string; password: string; consent?: string[] | 'deny' },
): Promise<URL> {
  let { url } = await agent.follow(authorizeUrl, (u) => u.pathname.startsWith('/interaction/'));
  for (let step = 0; step < 4; step++) {
    if (!url.pathname.startsWith('/interaction/')) return url;
    const uid = url.pathname.split('/')[2]!;
    const info = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { prompt: string; scopes: Array<{ name: string }> };
    let res: Response;
    if (info.prompt === 'login') {
      res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: opts.email, password: opts.password });
      // An account with a second factor: the helper answers with the authenticator it set up.
      const next = res.status === 200 ? ((await res.clone().json()) as { next?: string }).next : undefined;
      if (next === 'second_factor') res = await answerSecondFactor(agent, uid, opts.email);
      // Policy requires a second factor this account lacks: set one up, as the SPA would make them do.
      else if (next === 'second_factor_setup') res = await setUpInInteraction(agent, uid, opts.email);
    } else if (opts.consent === 'deny') {
      res = await agent.api('POST', `/bff/interaction/${uid}/deny`, {});
    } else {
      res = await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: opts.consent ?? info.scopes.map((s) => s.name) });
    }
    if (res.status !== 200) throw new Error(`interaction ${info.prompt} failed: ${res.status} ${await res.text()}`);
    const { redirectTo } = (await res.json()) as { redirectTo: string };
    ({ url } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/')));
  }
  return url;
}

/** A browser signed in to the portal through the BFF (the real login interaction). */
export async function signedInAgent(origin: string, email: string, password: string): Promise<Agent> {
  const agent = new Agent(origin);
  const end = await authorizeThrough(agent, '/bff/login?returnTo=/account', { email, password });
  if (end.pathname !== '/account') throw new Error(`expected to land on /account, got ${end.href}`);
  // MFA_ADMINS / MFA_USERS=required: set the second factor up, as the SPA would make them do.
  const session = (await (await agent.api('GET', '/bff/session')).json()) as { secondFactorSetupRequired?: boolean };
  if (session.secondFactorSetupRequired) await enrolTotp(agent, email);
  return agent;
}
