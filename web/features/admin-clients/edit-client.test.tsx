import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import type { PartnerClient } from './api/get-clients.ts';

const acme: PartnerClient = {
  clientId: 'acme',
  name: 'Acme',
  redirectUris: ['https://acme.example/cb'],
  postLogoutRedirectUris: ['https://acme.example/bye'],
  public: false,
  scopes: ['openid', 'basic'],
  logoUrl: null,
  createdAt: 1,
  defaultScope: null,
  accessTokenTtl: null,
  legacyRefresh: false,
};

const bff = useFakeBff(() => {
  bff.answers['GET /bff/session'] = () => ({
    body: {
      authenticated: true,
      user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin' },
      expiresAt: Date.now() + 3_600_000,
      impersonation: null,
    },
  });
  bff.answers['GET /bff/scopes'] = () => ({ body: { scopes: [{ name: 'openid', description: 'Sign you in' }] } });
  bff.answers['GET /bff/admin/clients'] = () => ({ body: { clients: [acme] } });
});

/** The change form (the registration form below has fields of the same names). */
const form = () => within(screen.getByRole('region', { name: 'Change Acme' }));

const patches = () => bff.server.requests.filter((r) => r.method === 'PATCH' && r.url === '/bff/admin/clients/acme');

describe('admin: changing a partner app after registration', () => {
  it('lists the post-logout redirect URIs and sends every setting of the form', async () => {
    bff.answers['PATCH /bff/admin/clients/acme'] = () => ({ body: { client: { ...acme, name: 'Acme 2' }, changed: ['name'] } });
    renderApp('/admin/clients');
    expect(await screen.findByText('https://acme.example/bye')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Change Acme' }));
    const heading = screen.getByRole('heading', { name: 'Change Acme' });
    expect(document.activeElement).toBe(heading);
    fireEvent.change(form().getByLabelText('Name'), { target: { value: 'Acme 2' } });
    fireEvent.change(form().getByLabelText('Post-logout redirect URIs (optional)'), {
      target: { value: 'https://acme.example/bye\nhttp://localhost:3000/bye' },
    });
    fireEvent.change(form().getByLabelText('Default scope (optional)'), { target: { value: 'basic' } });
    fireEvent.change(form().getByLabelText('Access-token lifetime in minutes (optional)'), { target: { value: '1440' } });
    fireEvent.click(form().getByRole('checkbox', { name: 'Legacy refresh (GET /oauth?=token)' }));
    fireEvent.click(form().getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(patches()).toHaveLength(1));
    expect(patches()[0]!.json).toEqual({
      name: 'Acme 2',
      redirectUris: ['https://acme.example/cb'],
      postLogoutRedirectUris: ['https://acme.example/bye', 'http://localhost:3000/bye'],
      defaultScope: ['basic'],
      accessTokenTtl: 86400,
      legacyRefresh: true,
      backchannelLogoutUri: null,
      backchannelLogoutSessionRequired: false,
    });
    expect(patches()[0]!.headers['x-portal-csrf']).toBe('1');
    expect(await screen.findByText('Changes to Acme 2 were saved')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Change Acme' })).toBeNull();
  });

  it('refuses a plain-http post-logout URI before sending, and Escape closes the form back to its button', async () => {
    renderApp('/admin/clients');
    const change = await screen.findByRole('button', { name: 'Change Acme' });
    change.focus();
    fireEvent.click(change);
    fireEvent.change(form().getByLabelText('Post-logout redirect URIs (optional)'), { target: { value: 'http://acme.example/bye' } });
    fireEvent.click(form().getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText(/http:\/\/acme\.example\/bye: http:\/\/ is allowed only for localhost/)).toBeTruthy();
    expect(patches()).toHaveLength(0);
    fireEvent.keyDown(form().getByLabelText('Name'), { key: 'Escape' });
    expect(screen.queryByRole('heading', { name: 'Change Acme' })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Change Acme' })));
  });

  it('shows a stored lifetime in minutes (90 seconds as 1.5) and sends it back in seconds', async () => {
    bff.answers['GET /bff/admin/clients'] = () => ({ body: { clients: [{ ...acme, accessTokenTtl: 90 }] } });
    bff.answers['PATCH /bff/admin/clients/acme'] = () => ({ body: { client: acme, changed: [] } });
    renderApp('/admin/clients');
    fireEvent.click(await screen.findByRole('button', { name: 'Change Acme' }));
    expect((form().getByLabelText('Access-token lifetime in minutes (optional)') as HTMLInputElement).value).toBe('1.5');
    fireEvent.click(form().getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(patches()).toHaveLength(1));
    expect((patches()[0]!.json as { accessTokenTtl: number }).accessTokenTtl).toBe(90);
  });

  it("shows the server's refusal on the field it names", async () => {
    bff.answers['PATCH /bff/admin/clients/acme'] = () => ({
      status: 400,
      body: {
        error: 'invalid_client_metadata',
        message: 'The default scope must be among the app’s scopes.',
        fields: { defaultScope: 'The default scope must be among the app’s scopes.' },
      },
    });
    renderApp('/admin/clients');
    fireEvent.click(await screen.findByRole('button', { name: 'Change Acme' }));
    fireEvent.change(form().getByLabelText('Default scope (optional)'), { target: { value: 'admin' } });
    fireEvent.click(form().getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(form().getByLabelText('Default scope (optional)').getAttribute('aria-invalid')).toBe('true'));
    expect(form().getByRole('alert').textContent).toBe('The default scope must be among the app’s scopes.');
  });
});
