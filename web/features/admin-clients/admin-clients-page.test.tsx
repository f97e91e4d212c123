import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import type { PartnerClient } from './api/get-clients.ts';

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
  bff.answers['GET /bff/admin/clients'] = () => ({ body: { clients: [acme, spa] } });
});

const acme: PartnerClient = {
  clientId: 'acme',
  name: 'Acme',
  redirectUris: ['https://acme.example/cb'],
  postLogoutRedirectUris: ['https://acme.example/'],
  public: false,
  scopes: ['openid'],
  logoUrl: null,
  createdAt: 1,
};
const spa: PartnerClient = { ...acme, clientId: 'spa', name: 'Phone app', public: true };

const posts = () => bff.server.requests.filter((r) => r.method === 'POST' && r.url === '/bff/admin/clients/acme/secret');

describe('admin: partner apps, rotating a secret', () => {
  it('is offered for confidential apps only, asks first, and shows the new secret once', async () => {
    bff.answers['POST /bff/admin/clients/acme/secret'] = () => ({ body: { clientId: 'acme', clientSecret: 'n3w-s3cret' } });
    renderApp('/admin/clients');
    const rotate = await screen.findByRole('button', { name: 'Rotate the secret of Acme' });
    expect(screen.queryByRole('button', { name: 'Rotate the secret of Phone app' })).toBeNull();

    rotate.focus();
    fireEvent.click(rotate);
    fireEvent.keyDown(screen.getByRole('dialog', { name: 'Rotate the secret of Acme?' }), { key: 'Escape' });
    expect(document.activeElement).toBe(rotate);
    expect(posts()).toHaveLength(0);

    fireEvent.click(rotate);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Rotate secret' }));
    const heading = await screen.findByRole('heading', { name: 'Acme has a new secret' });
    expect(screen.getByText('n3w-s3cret')).toBeTruthy();
    expect(document.activeElement).toBe(heading);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.headers['x-portal-csrf']).toBe('1');
  });

  it('a refused rotation keeps the dialog open with the server’s message, focused', async () => {
    bff.answers['POST /bff/admin/clients/acme/secret'] = () => ({
      status: 404,
      body: { error: 'client_not_found', message: 'No partner app with client id acme.' },
    });
    renderApp('/admin/clients');
    fireEvent.click(await screen.findByRole('button', { name: 'Rotate the secret of Acme' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Rotate secret' }));
    const alert = await within(screen.getByRole('dialog')).findByRole('alert');
    expect(alert.textContent).toBe('No partner app with client id acme.');
    await waitFor(() => expect(document.activeElement).toBe(alert));
    expect(screen.queryByText('Acme has a new secret')).toBeNull();
  });
});
