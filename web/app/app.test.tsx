import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useFakeBff } from '../test/fake-bff.ts';
import type { Route } from '../test/fake-bff.ts';
import { renderApp } from '../test/render-app.tsx';
import { leaveTo } from '../lib/navigation.ts';

import type * as Navigation from '../lib/navigation.ts';

// Full-page navigations cannot happen in jsdom; record them instead.
vi.mock('../lib/navigation.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof Navigation>()),
  leaveTo: vi.fn(),
}));

const bff = useFakeBff(() => vi.mocked(leaveTo).mockClear());
const { answers } = bff;

const signedOut: Route = () => ({ body: { authenticated: false } });
const signedIn =
  (role = 'user', impersonation: unknown = null): Route =>
  () => ({
    body: {
      authenticated: true,
      user: { id: 'u1', email: 'ada@example.com', name: 'Ada Lovelace', role },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      impersonation,
    },
  });

const sent = (method: string, path: string) => bff.server.requests.filter((r) => r.method === method && r.url.split('?')[0] === path);

describe('home', () => {
  it('signed out: shows Portal and a real link to /bff/login', async () => {
    answers['GET /bff/session'] = signedOut;
    renderApp('/');
    const link = (await screen.findByRole('link', { name: 'Sign in' })) as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('/bff/login');
    expect(screen.getByRole('heading', { level: 1, name: 'Portal' })).toBeTruthy();
  });

  it('signed in: goes to /account', async () => {
    answers['GET /bff/session'] = signedIn();
    answers['GET /bff/account'] = () => ({
      body: {
        user: { id: 'u1', email: 'ada@example.com', name: 'Ada Lovelace', role: 'user', createdAt: '2024-01-01T00:00:00Z' },
        connectedApps: [],
        impersonations: [],
      },
    });
    const { router } = renderApp('/');
    await screen.findByRole('heading', { name: 'Your account' });
    expect(router.state.location.pathname).toBe('/account');
  });
});

describe('interaction', () => {
  it('an unknown or expired uid explains what to do', async () => {
    answers['GET /bff/session'] = signedOut;
    answers['GET /bff/interaction/gone'] = () => ({
      status: 404,
      body: { error: 'interaction_not_found', message: 'Not found.' },
    });
    renderApp('/interaction/gone');
    expect(await screen.findByText('This sign-in request has expired or is unknown. Go back to the app and start again.')).toBeTruthy();
  });

  it('login: posts the credentials with the CSRF header, then follows redirectTo', async () => {
    answers['GET /bff/session'] = signedOut;
    answers['GET /bff/interaction/abc'] = () => ({
      body: {
        uid: 'abc',
        prompt: 'login',
        client: { clientId: 'acme', name: 'Acme CRM', logoUrl: null, firstParty: false },
        loginHint: 'ada@example.com',
        user: null,
        scopes: [],
      },
    });
    answers['POST /bff/interaction/abc/login'] = (request) => {
      const body = request.json as { password?: string };
      return body.password === 'right password'
        ? { body: { redirectTo: '/oauth/auth/abc' } }
        : { status: 401, body: { error: 'invalid_credentials', message: 'That email and password do not match.' } };
    };
    renderApp('/interaction/abc');

    await screen.findByRole('heading', { name: 'Sign in' });
    expect(screen.getByText(/to continue to/).textContent).toBe('to continue to Acme CRM');
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('That email and password do not match.');
    expect(leaveTo).not.toHaveBeenCalled();

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/oauth/auth/abc'));

    const posts = sent('POST', '/bff/interaction/abc/login');
    expect(posts).toHaveLength(2);
    expect(posts[1]?.json).toEqual({ email: 'ada@example.com', password: 'right password' });
    expect(posts[1]?.headers['x-portal-csrf']).toBe('1');
  });

  it('consent: Allow posts the checked scopes; Deny posts /deny', async () => {
    answers['GET /bff/session'] = signedOut;
    answers['GET /bff/interaction/c1'] = () => ({
      body: {
        uid: 'c1',
        prompt: 'consent',
        client: { clientId: 'acme', name: 'Acme CRM', logoUrl: null, firstParty: false },
        loginHint: null,
        user: { email: 'ada@example.com', name: 'Ada' },
        scopes: [
          { name: 'openid', description: 'Sign you in', required: true, previouslyGranted: false },
          { name: 'email', description: 'See your email address', required: false, previouslyGranted: false },
        ],
      },
    });
    answers['POST /bff/interaction/c1/consent'] = () => ({ body: { redirectTo: '/oauth/auth/c1' } });
    renderApp('/interaction/c1');

    fireEvent.click(await screen.findByRole('checkbox', { name: /See your email address/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Allow' }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/oauth/auth/c1'));
    expect(sent('POST', '/bff/interaction/c1/consent')[0]?.json).toEqual({ scopes: ['openid'] });
    expect(sent('POST', '/bff/interaction/c1/deny')).toHaveLength(0);
  });
});

describe('account', () => {
  it('signed out: sends the browser to the BFF login, returning to /account', async () => {
    answers['GET /bff/session'] = signedOut;
    renderApp('/account');
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/bff/login?returnTo=/account'));
  });

  it('shows the account, revokes an app and refetches', async () => {
    let apps = [
      {
        clientId: 'acme',
        name: 'Acme CRM',
        logoUrl: null,
        scopes: [{ name: 'email', description: 'See your email address' }],
        grantedAt: '2024-03-05T10:00:00Z',
      },
    ];
    answers['GET /bff/session'] = signedIn('admin');
    answers['GET /bff/account'] = () => ({
      body: {
        user: { id: 'u1', email: 'ada@example.com', name: 'Ada Lovelace', role: 'admin', createdAt: '2024-01-01T00:00:00Z' },
        connectedApps: apps,
        impersonations: [{ at: '2024-04-01T09:30:00Z', admin: { email: 'root@example.com', name: 'Root' }, reason: 'Ticket 42', durationMinutes: 15 }],
      },
    });
    answers['DELETE /bff/account/apps/acme'] = () => {
      apps = [];
      return { body: { ok: true } };
    };
    renderApp('/account');

    await screen.findByText('Ada Lovelace');
    expect(screen.getByText('Administrator')).toBeTruthy();
    const adminLinks = screen.getByRole('navigation', { name: 'Administration' });
    expect(within(adminLinks).getByRole('link', { name: 'Partner apps' }).getAttribute('href')).toBe('/admin/clients');
    expect(within(adminLinks).getByRole('link', { name: 'Impersonate a user' }).getAttribute('href')).toBe('/admin/impersonate');
    const history = screen.getByRole('region', { name: 'Impersonation history' });
    expect(within(history).getByText('Reason: Ticket 42')).toBeTruthy();
    const connected = screen.getByRole('region', { name: 'Connected apps' });
    expect(within(connected).getByText(/Allowed on/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Revoke access for Acme CRM' }));
    expect(await screen.findByText('No apps can access your account.')).toBeTruthy();
    expect(sent('DELETE', '/bff/account/apps/acme')[0]?.headers['x-portal-csrf']).toBe('1');
  });

  it('shows a rejected password change next to the field', async () => {
    answers['GET /bff/session'] = signedIn();
    answers['GET /bff/account'] = () => ({
      body: {
        user: { id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'user', createdAt: '2024-01-01T00:00:00Z' },
        connectedApps: [],
        impersonations: [],
      },
    });
    answers['POST /bff/account/password'] = () => ({
      status: 400,
      body: { error: 'invalid_credentials', message: 'Your current password is not right.' },
    });
    renderApp('/account');

    fireEvent.change(await screen.findByLabelText('Current password'), { target: { value: 'old one' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a long new password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByText('Your current password is not right.')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Impersonation history' })).toBeNull();
    expect(sent('POST', '/bff/account/password')[0]?.json).toEqual({ currentPassword: 'old one', newPassword: 'a long new password' });
  });
});

describe('impersonation banner', () => {
  it('shows who, why and the time left, and stops on request', async () => {
    answers['GET /bff/session'] = signedIn('user', {
      impersonator: { id: 'a1', email: 'root@example.com', name: 'Root' },
      reason: 'Ticket 42',
      expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    });
    answers['GET /bff/account'] = () => ({ status: 403, body: { error: 'forbidden', message: 'No.' } });
    answers['POST /bff/impersonation/stop'] = () => ({ body: { redirectTo: '/admin/users' } });
    renderApp('/account');

    const bar = await screen.findByRole('region', { name: 'Impersonation' });
    expect(bar.textContent).toMatch(/You are impersonating ada@example\.com — reason: Ticket 42 — (10:00|09:\d\d) left/);
    expect(bar.closest('#banner-slot')).not.toBeNull();
    fireEvent.click(within(bar).getByRole('button', { name: 'Stop impersonating' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Stop impersonating ada@example.com?' })).getByRole('button', { name: 'Stop now' }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/admin/users'));
  });

  it('is empty without impersonation', async () => {
    answers['GET /bff/session'] = signedOut;
    const { container } = renderApp('/');
    await screen.findByRole('link', { name: 'Sign in' });
    expect(container.querySelector('#banner-slot')?.childElementCount).toBe(0);
  });
});

describe('setup', () => {
  it('explains a used or expired link', async () => {
    answers['GET /bff/session'] = signedOut;
    answers['GET /bff/setup'] = () => ({ status: 410, body: { error: 'setup_token_invalid', message: 'Used.' } });
    renderApp('/setup#token=spent');
    expect(await screen.findByText('This setup link was already used or has expired.')).toBeTruthy();
    expect(screen.getByText(/restart the portal to print a new link/)).toBeTruthy();
    expect(sent('GET', '/bff/setup')[0]?.url).toBe('/bff/setup?token=spent');
  });

  it('creates the first administrator', async () => {
    answers['GET /bff/session'] = signedOut;
    answers['GET /bff/setup'] = () => ({ body: { valid: true } });
    answers['POST /bff/setup'] = () => ({ body: { ok: true } });
    renderApp('/setup#token=t0k3n');

    await screen.findByRole('heading', { name: 'Create the first administrator' });
    expect(screen.getByText('at least 12 characters')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Ada' } });
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
    expect(await screen.findByText('Use at least 12 characters.')).toBeTruthy();
    expect(sent('POST', '/bff/setup')).toHaveLength(0);
    // The setup form's own check is announced: focus moves to the field it is about.
    expect(document.activeElement).toBe(screen.getByLabelText('Password'));

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a very long password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
    await screen.findByRole('heading', { name: 'Administrator created' });
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/bff/login');
    expect(sent('POST', '/bff/setup')[0]?.json).toEqual({
      token: 't0k3n',
      name: 'Ada',
      email: 'ada@example.com',
      password: 'a very long password',
    });
  });

  it('without a token, says the link cannot be used', async () => {
    answers['GET /bff/session'] = signedOut;
    renderApp('/setup');
    expect(await screen.findByText('This setup link was already used or has expired.')).toBeTruthy();
    expect(sent('GET', '/bff/setup')).toHaveLength(0);
  });
});

describe('admin: partner apps', () => {
  const scopes: Route = () => ({
    body: {
      scopes: [
        { name: 'openid', description: 'Sign you in', required: true },
        { name: 'email', description: 'See your email address', required: false },
      ],
    },
  });

  it('a 403 from the API says you need to be an administrator', async () => {
    answers['GET /bff/session'] = signedIn('admin');
    answers['GET /bff/admin/clients'] = () => ({ status: 403, body: { error: 'forbidden', message: 'Admins only.' } });
    answers['GET /bff/scopes'] = scopes;
    renderApp('/admin/clients');
    expect(await screen.findByText('You need to be an administrator')).toBeTruthy();
  });

  it('a non-admin session sees the same message', async () => {
    answers['GET /bff/session'] = signedIn('user');
    renderApp('/admin/clients');
    expect(await screen.findByText('You need to be an administrator')).toBeTruthy();
    expect(sent('GET', '/bff/admin/clients')).toHaveLength(0);
  });

  it('lists, validates, registers (showing the secret once) and deletes', async () => {
    let clients = [
      {
        clientId: 'old-app',
        name: 'Old App',
        redirectUris: ['https://old.example.com/cb'],
        public: false,
        scopes: ['openid'],
        logoUrl: null,
        createdAt: '2024-01-01T00:00:00Z',
      },
    ];
    answers['GET /bff/session'] = signedIn('admin');
    answers['GET /bff/scopes'] = scopes;
    answers['GET /bff/admin/clients'] = () => ({ body: { clients } });
    answers['POST /bff/admin/clients'] = (request) => {
      const body = request.json as { name: string; redirectUris: string[]; public: boolean; scopes: string[] };
      clients = [...clients, { clientId: 'new-app', ...body, logoUrl: null, createdAt: '2024-05-01T00:00:00Z' }];
      return { status: 201, body: { clientId: 'new-app', clientSecret: 's3cr3t-value' } };
    };
    answers['DELETE /bff/admin/clients/old-app'] = () => {
      clients = clients.filter((c) => c.clientId !== 'old-app');
      return { body: { ok: true } };
    };
    renderApp('/admin/clients');

    const table = await screen.findByRole('table');
    expect(within(table).getByText('https://old.example.com/cb')).toBeTruthy();
    expect(within(table).getByText('Confidential')).toBeTruthy();

    const openid = (await screen.findByRole('checkbox', { name: /openid/ })) as HTMLInputElement;
    expect(openid.checked && openid.disabled).toBe(true);

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'New App' } });
    fireEvent.change(screen.getByLabelText('Redirect URIs'), {
      target: { value: 'https://new.example.com/cb\nhttp://example.com/cb' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    expect(await screen.findByText(/^http:\/\/example\.com\/cb: http:\/\/ is allowed only for localhost/)).toBeTruthy();
    expect(sent('POST', '/bff/admin/clients')).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('Redirect URIs'), {
      target: { value: 'https://new.example.com/cb\nhttp://127.0.0.1:8080/cb' },
    });
    fireEvent.click(screen.getByRole('checkbox', { name: /See your email address/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));

    expect(await screen.findByText('Copy the secret now; it will not be shown again.')).toBeTruthy();
    expect(screen.getByText('s3cr3t-value')).toBeTruthy();
    expect(sent('POST', '/bff/admin/clients')[0]?.json).toEqual({
      name: 'New App',
      redirectUris: ['https://new.example.com/cb', 'http://127.0.0.1:8080/cb'],
      public: false,
      scopes: ['openid', 'email'],
    });
    await within(screen.getByRole('table')).findByText('New App');

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('s3cr3t-value')).toBeNull();

    const deleteButton = screen.getByRole('button', { name: 'Delete Old App' });
    deleteButton.focus();
    fireEvent.click(deleteButton);
    // Escape cancels: nothing is sent and focus goes back to the Delete button.
    fireEvent.keyDown(screen.getByRole('dialog', { name: 'Delete Old App?' }), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(deleteButton);
    expect(sent('DELETE', '/bff/admin/clients/old-app')).toHaveLength(0);

    fireEvent.click(deleteButton);
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Delete Old App?' })).getByRole('button', { name: 'Delete partner app' }));
    expect(await screen.findByText('Old App was deleted')).toBeTruthy();
    expect(document.activeElement?.textContent).toContain('Old App was deleted');
    expect(sent('DELETE', '/bff/admin/clients/old-app')).toHaveLength(1);
    await waitFor(() => expect(within(screen.getByRole('table')).queryByText('Old App')).toBeNull());
  });

  it('shows the server’s field errors next to the field', async () => {
    answers['GET /bff/session'] = signedIn('admin');
    answers['GET /bff/scopes'] = scopes;
    answers['GET /bff/admin/clients'] = () => ({ body: { clients: [] } });
    answers['POST /bff/admin/clients'] = () => ({
      status: 400,
      body: {
        error: 'invalid_redirect_uri',
        message: 'A redirect URI is not allowed.',
        fields: { 'redirectUris.0': 'This host is blocked.' },
      },
    });
    renderApp('/admin/clients');

    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'App' } });
    fireEvent.change(screen.getByLabelText('Redirect URIs'), { target: { value: 'https://blocked.example.com/cb' } });
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    const message = await screen.findByText('This host is blocked.');
    const textarea = screen.getByLabelText('Redirect URIs');
    expect(textarea.getAttribute('aria-describedby')).toContain(message.id);
    expect(textarea.getAttribute('aria-invalid')).toBe('true');
  });
});

describe('unknown routes', () => {
  it('shows a 404 page', async () => {
    answers['GET /bff/session'] = signedOut;
    renderApp('/no/such/page');
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeTruthy();
  });
});
