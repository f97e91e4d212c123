import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';

const bff = useFakeBff(() => {
  bff.answers['GET /bff/session'] = () => ({
    body: {
      authenticated: true,
      user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin' },
      expiresAt: Date.now() + 3_600_000,
      impersonation: null,
    },
  });
  bff.answers['GET /bff/scopes'] = () => ({
    body: {
      scopes: [
        { name: 'openid', description: 'Sign you in' },
        { name: 'basic', description: 'Basic access' },
      ],
    },
  });
  bff.answers['GET /bff/admin/clients'] = () => ({ body: { clients: [] } });
  bff.answers['POST /bff/admin/clients'] = () => ({ status: 201, body: { clientId: 'ttp', clientSecret: 's3cr3t' } });
});

const created = () => bff.server.requests.filter((r) => r.method === 'POST' && r.url === '/bff/admin/clients');

async function fillBasics() {
  renderApp('/admin/clients');
  fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'The Trading Parrot' } });
  fireEvent.change(screen.getByLabelText('Redirect URIs'), { target: { value: 'https://ttp.example/cb' } });
  fireEvent.click(await screen.findByRole('checkbox', { name: /Basic access/ }));
}

describe("admin: registering a partner app written to The Trading Parrot's document", () => {
  it('sends the default scope, the access-token lifetime and the legacy refresh', async () => {
    await fillBasics();
    fireEvent.change(screen.getByLabelText('Default scope (optional)'), { target: { value: ' basic ' } });
    fireEvent.change(screen.getByLabelText('Access-token lifetime in minutes (optional)'), { target: { value: '1440' } });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Legacy refresh (GET /oauth?=token)' }));
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    await waitFor(() => expect(created()).toHaveLength(1));
    expect(created()[0]!.json).toEqual({
      name: 'The Trading Parrot',
      redirectUris: ['https://ttp.example/cb'],
      public: false,
      scopes: ['openid', 'basic'],
      defaultScope: ['basic'],
      accessTokenTtl: 86400,
      legacyRefresh: true,
    });
  });

  it('sends the post-logout redirect URIs, one per line', async () => {
    await fillBasics();
    fireEvent.change(screen.getByLabelText('Post-logout redirect URIs (optional)'), {
      target: { value: 'https://ttp.example/bye\n\nhttp://127.0.0.1:8080/bye ' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    await waitFor(() => expect(created()).toHaveLength(1));
    expect((created()[0]!.json as { postLogoutRedirectUris: string[] }).postLogoutRedirectUris).toEqual([
      'https://ttp.example/bye',
      'http://127.0.0.1:8080/bye',
    ]);
  });

  it('sends the sign-out notification address (back-channel logout) and whether it names the session', async () => {
    await fillBasics();
    const session = screen.getByRole('checkbox', { name: 'Name the session in every sign-out notification' }) as HTMLInputElement;
    expect(session.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Sign-out notification address (optional)'), { target: { value: ' https://ttp.example/backchannel-logout ' } });
    fireEvent.click(session);
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    await waitFor(() => expect(created()).toHaveLength(1));
    expect(created()[0]!.json).toMatchObject({ backchannelLogoutUri: 'https://ttp.example/backchannel-logout', backchannelLogoutSessionRequired: true });
  });

  it('refuses an http sign-out notification address outside localhost before sending anything', async () => {
    await fillBasics();
    fireEvent.change(screen.getByLabelText('Sign-out notification address (optional)'), { target: { value: 'http://ttp.example/backchannel-logout' } });
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    expect(await screen.findByText('http:// is allowed only for localhost, 127.0.0.1 or [::1]. Use https:// for other hosts.')).toBeTruthy();
    expect(created()).toHaveLength(0);
  });

  it('takes the lifetime in minutes (a quarter of an hour is 900 seconds on the wire)', async () => {
    await fillBasics();
    fireEvent.change(screen.getByLabelText('Access-token lifetime in minutes (optional)'), { target: { value: '15' } });
    fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
    await waitFor(() => expect(created()).toHaveLength(1));
    expect((created()[0]!.json as { accessTokenTtl: number }).accessTokenTtl).toBe(900);
  });

  it('refuses a lifetime out of range before sending anything', async () => {
    await fillBasics();
    for (const value of ['1441', '0.5', 'an hour']) {
      fireEvent.change(screen.getByLabelText('Access-token lifetime in minutes (optional)'), { target: { value } });
      fireEvent.click(screen.getByRole('button', { name: 'Register app' }));
      expect(await screen.findByText('Enter a number of minutes from 1 to 1440 (24 hours), or leave it empty.')).toBeTruthy();
    }
    expect(created()).toHaveLength(0);
  });
});
