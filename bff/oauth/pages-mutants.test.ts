/**
 * The HTML pages oidc-provider renders through pages.ts, pinned where mutation
 * testing (docs/mutation.md) needs it: every reflected value escaped (all six
 * characters, null and undefined as empty), the page frame exactly (title,
 * brand with and without a logo, support line), the brand of the request
 * (pageBrandFor) and the default outside one, each error code's friendly
 * sentence and the fallback, descriptions flattened to one line, the
 * sign-out pages and the stylesheet. Pure functions: no app, no database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PAGES_CSS,
  UNREGISTERED_POST_LOGOUT,
  errorPage,
  escapeHtml,
  htmlPage,
  loggedOutPage,
  logoutPage,
  pageBrandFor,
  unregisteredPostLogoutPage,
  type PageBrand,
} from './pages.ts';

const HEAD = (title: string, name = 'Portal') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light"><title>${title} · ${name}</title><link rel="stylesheet" href="/oauth-pages.css"><link rel="stylesheet" href="/branding.css"></head><body><a class="skip-link" href="#main">Skip to content</a><header class="topbar">`;
const PLAIN_BRAND = '<a class="topbar__brand" href="/">Portal</a>';
const frame = (title: string, body: string) =>
  `${HEAD(title)}${PLAIN_BRAND}</header><main id="main" class="main"><div class="card">${body}</div></main></body></html>`;

/** Runs `fn` inside a request whose brand is `brand`, as the app's first middleware does. */
function withBrand<T>(brand: PageBrand, fn: () => T): T {
  let out: T | undefined;
  pageBrandFor(() => brand)(null, null, () => {
    out = fn();
  });
  return out as T;
}

describe('pages: escaping', () => {
  it('escapes each of & < > " \' ` as a numeric entity, and nothing else', () => {
    assert.equal(escapeHtml(`a&b<c>d"e'f\`g h/=`), 'a&#38;b&#60;c&#62;d&#34;e&#39;f&#96;g h/=');
    assert.equal(escapeHtml('<<>>'), '&#60;&#60;&#62;&#62;');
  });
  it('renders null and undefined as empty, other values as their string', () => {
    assert.equal(escapeHtml(null), '');
    assert.equal(escapeHtml(undefined), '');
    assert.equal(escapeHtml(0), '0');
    assert.equal(escapeHtml(false), 'false');
  });
});

describe('pages: the frame', () => {
  it('outside a request: the default brand, no logo, no support line', () => {
    assert.equal(htmlPage('T<1>', '<p>body</p>'), frame('T&#60;1&#62;', '<p>body</p>'));
  });
  it("inside a request: that request's name, logo and support address, escaped", () => {
    const brand = { portalName: 'Acme & Co', logoUrl: 'https://cdn.example/l.png?a=1&b="2"', supportEmail: 'help+<x>@acme.example' };
    const page = withBrand(brand, () => htmlPage('Hi', '<p>b</p>'));
    assert.equal(
      page,
      `${HEAD('Hi', 'Acme &#38; Co')}<a class="topbar__brand topbar__brand--logo" href="/"><img class="topbar__logo" src="https://cdn.example/l.png?a=1&#38;b=&#34;2&#34;" alt="">Acme &#38; Co</a></header><main id="main" class="main"><div class="card"><p>b</p><p class="support">Need help? Write to <a href="mailto:help+&#60;x&#62;@acme.example">help+&#60;x&#62;@acme.example</a>.</p></div></main></body></html>`,
    );
  });
  it('a brand without logo or support address shows the plain name only', () => {
    const page = withBrand({ portalName: 'Acme', logoUrl: null, supportEmail: null }, () => htmlPage('Hi', 'x'));
    assert.equal(
      page,
      `${HEAD('Hi', 'Acme')}<a class="topbar__brand" href="/">Acme</a></header><main id="main" class="main"><div class="card">x</div></main></body></html>`,
    );
    const empty = withBrand({ portalName: 'Acme', logoUrl: '', supportEmail: '' }, () => htmlPage('Hi', 'x'));
    assert.equal(empty, page);
  });
  it('the brand is read when the middleware runs, and only that request sees it', () => {
    let name = 'First';
    const mw = pageBrandFor(() => ({ portalName: name, logoUrl: null, supportEmail: null }));
    const seen: string[] = [];
    mw(null, null, () => seen.push(htmlPage('t', '')));
    name = 'Second';
    mw(null, null, () => seen.push(htmlPage('t', '')));
    assert.ok(seen[0]!.includes('<a class="topbar__brand" href="/">First</a>'));
    assert.ok(seen[1]!.includes('<a class="topbar__brand" href="/">Second</a>'));
    assert.ok(htmlPage('t', '').includes(PLAIN_BRAND));
  });
});

describe('pages: errors', () => {
  const friendly: Record<string, string> = {
    invalid_redirect_uri: 'The app that sent you here gave a return address that is not registered with the portal, so you were not sent back to it.',
    invalid_client: 'The app that sent you here is not registered with the portal.',
    invalid_request: 'The app that sent you here made a request the portal cannot accept.',
    access_denied: 'Access was denied.',
    login_required: 'You need to sign in first.',
    interaction_required: 'The sign-in could not be completed.',
    invalid_grant: 'This sign-in request has expired or was already used.',
    server_error: 'Something went wrong on our side. Please try again.',
    temporarily_unavailable: 'The portal cannot reach its database right now. Please try again in a moment.',
    invalid_scope: 'The sign-in request could not be completed.',
    // Names of Object.prototype's members are unknown codes too, not its functions' source.
    constructor: 'The sign-in request could not be completed.',
    toString: 'The sign-in request could not be completed.',
    ['__proto__']: 'The sign-in request could not be completed.',
  };
  for (const [code, sentence] of Object.entries(friendly)) {
    it(`${code}: its sentence, the code and the description`, () => {
      assert.equal(
        errorPage(code, 'why it failed', 'https://portal.example'),
        frame(
          'Sign-in error',
          `<h1>We could not continue</h1><p>${escapeHtml(sentence)}</p><p class="muted">Error: <code>${code}</code> — why it failed</p><p><a href="https://portal.example/">Go to the portal</a></p>`,
        ),
      );
    });
  }
  it('without a description: no dash; line breaks and tabs become spaces; everything escaped', () => {
    const bare = `<h1>We could not continue</h1><p>Access was denied.</p><p class="muted">Error: <code>access_denied</code></p><p><a href="https://p.example/">Go to the portal</a></p>`;
    assert.equal(errorPage('access_denied', undefined, 'https://p.example'), frame('Sign-in error', bare));
    assert.equal(errorPage('access_denied', '', 'https://p.example'), frame('Sign-in error', bare));
    assert.equal(
      errorPage('<x>', 'a\r\nb\tc<d>', 'https://p.example/"q'),
      frame(
        'Sign-in error',
        `<h1>We could not continue</h1><p>The sign-in request could not be completed.</p><p class="muted">Error: <code>&#60;x&#62;</code> — a  b c&#60;d&#62;</p><p><a href="https://p.example/&#34;q/">Go to the portal</a></p>`,
      ),
    );
  });
});

describe('pages: sign-out', () => {
  it("oidc-provider's description for an unregistered return address", () => {
    assert.equal(UNREGISTERED_POST_LOGOUT, 'post_logout_redirect_uri not registered');
  });
  const notSignedOut = (where: string) =>
    frame(
      'Sign-out error',
      `<h1>You were not signed out</h1><p>The app that sent you here asked to send you back to an address${where} that it has not registered with the portal for sign-out, so the portal did not sign you out or send you there.</p><p class="muted">The app's developers can ask the portal's administrator to register that address as a post-logout redirect URI.</p><p><a href="https://p.example/">Go to the portal</a></p>`,
    );
  it('names the unregistered address, escaped, only when it is a non-empty string', () => {
    assert.equal(unregisteredPostLogoutPage('https://evil.example/<x>', 'https://p.example'), notSignedOut(' (<code>https://evil.example/&#60;x&#62;</code>)'));
    assert.equal(unregisteredPostLogoutPage('', 'https://p.example'), notSignedOut(''));
    assert.equal(unregisteredPostLogoutPage(undefined, 'https://p.example'), notSignedOut(''));
    assert.equal(unregisteredPostLogoutPage(['https://a.example'], 'https://p.example'), notSignedOut(''));
  });
  it("the confirmation names the app (escaped) when it has a name, and carries the provider's form", () => {
    const actions =
      '<div class="actions"><button type="submit" form="op.logoutForm" name="logout" value="yes" class="button button--primary">Yes, sign me out</button><button type="submit" form="op.logoutForm" class="button button--secondary">No, stay signed in</button></div>';
    assert.equal(
      logoutPage('<form id="op.logoutForm"></form>', 'A&B'),
      frame('Sign out', `<h1>Sign out of A&#38;B?</h1><p>Do you want to sign out of the portal?</p><form id="op.logoutForm"></form>${actions}`),
    );
    assert.equal(
      logoutPage('<form></form>', undefined),
      frame('Sign out', `<h1>Sign out?</h1><p>Do you want to sign out of the portal?</p><form></form>${actions}`),
    );
    assert.equal(logoutPage('<form></form>', ''), frame('Sign out', `<h1>Sign out?</h1><p>Do you want to sign out of the portal?</p><form></form>${actions}`));
  });
  it('the signed-out page links back to the portal', () => {
    assert.equal(
      loggedOutPage('https://p.example/"'),
      frame('Signed out', '<h1>You are signed out</h1><p><a href="https://p.example/&#34;/">Back to the portal</a></p>'),
    );
  });
});

describe('pages: the stylesheet', () => {
  it('is the cut-down SPA look, whole', () => {
    assert.ok(PAGES_CSS.startsWith(':root{color-scheme:light;--font-sans:system-ui'));
    assert.ok(PAGES_CSS.includes('.button--primary{background:var(--primary);color:#fff}'));
    assert.ok(PAGES_CSS.endsWith('@media (max-width:24rem){.actions .button{width:100%}}'));
  });
});
