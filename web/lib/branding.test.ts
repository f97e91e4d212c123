import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** A fresh module each time: the branding is read once per page load. */
const load = async () => (await import('./branding.ts')).pageBranding();

describe('page branding from index.html', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => document.head.querySelector('meta[name="portal-branding"]')?.remove());

  const tag = (content: string) => {
    const meta = document.createElement('meta');
    meta.name = 'portal-branding';
    meta.content = content;
    document.head.append(meta);
  };

  it('is the defaults without the tag (dev server, tests)', async () => {
    expect(await load()).toEqual({ portalName: 'Portal', logoUrl: null, supportEmail: null });
  });

  it('reads the name, an uploaded or https logo, and the support address the BFF wrote', async () => {
    tag(JSON.stringify({ portalName: 'Acme Login', logoUrl: '/branding/logo/abc.png', supportEmail: 'help@acme.test' }));
    expect(await load()).toEqual({ portalName: 'Acme Login', logoUrl: '/branding/logo/abc.png', supportEmail: 'help@acme.test' });
  });

  it("drops a logo address that is neither the portal's own nor https, and survives a broken tag", async () => {
    tag(JSON.stringify({ portalName: 'Acme', logoUrl: 'javascript:alert(1)', supportEmail: null }));
    expect((await load()).logoUrl).toBeNull();
    vi.resetModules();
    document.head.querySelector('meta[name="portal-branding"]')?.remove();
    tag('{not json');
    expect(await load()).toEqual({ portalName: 'Portal', logoUrl: null, supportEmail: null });
  });
});
