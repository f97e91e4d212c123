import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../test/http-server.ts';
import type { RecordedRequest, Reply, TestServer } from '../../test/http-server.ts';
import { pointDocumentAt, renderApp } from '../../test/render-app.tsx';
import type { AdminConnection } from './api/get-connections.ts';

type Route = (request: RecordedRequest) => Reply;
let answers: Record<string, Route> = {};
let server: TestServer;

beforeAll(async () => {
  server = await startServer((request) => {
    const key = `${request.method} ${request.url.split('?')[0]}`;
    const route = answers[key];
    return route ? route(request) : { status: 404, body: { error: 'not_found', message: `No route for ${key}` } };
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  pointDocumentAt(server.origin);
  answers = {
    'GET /bff/session': () => ({
      body: {
        authenticated: true,
        user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin' },
        expiresAt: Date.now() + 3_600_000,
        impersonation: null,
      },
    }),
  };
});

const google: AdminConnection = {
  id: 'conn_g',
  name: 'Google',
  kind: 'social',
  issuer: 'https://accounts.google.com',
  clientId: 'g-client',
  scopes: ['openid', 'email'],
  orgId: null,
  domains: [],
  createdAt: 1,
};

describe('admin: identity providers', () => {
  it('lists connections, adds one (showing the server’s field errors first) and deletes one', async () => {
    let list = [google];
    answers['GET /bff/admin/connections'] = () => ({ body: { connections: list } });
    answers['POST /bff/admin/connections'] = (r) => {
      const body = r.json as { issuer: string; name: string };
      if (!body.issuer.startsWith('https://')) {
        return {
          status: 400,
          body: { error: 'invalid_request', message: 'issuer: The issuer must use https.', fields: { issuer: 'The issuer must use https.' } },
        };
      }
      const made: AdminConnection = { ...google, id: 'conn_new', name: body.name, issuer: body.issuer, kind: 'sso', orgId: 'org_1', domains: ['corp.test'] };
      list = [...list, made];
      return { status: 201, body: { connection: made } };
    };
    answers['DELETE /bff/admin/connections/conn_g'] = () => {
      list = list.filter((c) => c.id !== 'conn_g');
      return { body: { ok: true } };
    };
    renderApp('/admin/connections');

    const table = await screen.findByRole('table');
    expect(within(table).getByText('Google')).toBeTruthy();
    expect(within(table).getByText('https://accounts.google.com')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Corp SSO' } });
    fireEvent.change(screen.getByLabelText('Issuer URL'), { target: { value: 'http://idp.corp.test' } });
    fireEvent.change(screen.getByLabelText('Client ID'), { target: { value: 'cid' } });
    fireEvent.change(screen.getByLabelText('Client secret'), { target: { value: 's3cret' } });
    fireEvent.change(screen.getByLabelText('Organization (optional)'), { target: { value: 'Corp' } });
    fireEvent.change(screen.getByLabelText('Email domains (optional)'), { target: { value: 'corp.test, corp.example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add connection' }));
    expect(await screen.findByText('The issuer must use https.')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Issuer URL'), { target: { value: 'https://idp.corp.test' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add connection' }));
    expect(await screen.findByText('People can now continue with Corp SSO on the sign-in screen.')).toBeTruthy();
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts[1]?.json).toEqual({
      name: 'Corp SSO',
      issuer: 'https://idp.corp.test',
      clientId: 'cid',
      clientSecret: 's3cret',
      org: 'Corp',
      domains: ['corp.test', 'corp.example'],
    });
    expect(posts[1]?.headers['x-portal-csrf']).toBe('1');

    const deleteButton = await screen.findByRole('button', { name: 'Delete Google' });
    deleteButton.focus();
    fireEvent.click(deleteButton);
    const dialog = screen.getByRole('dialog', { name: 'Remove Google?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement).toBe(deleteButton);
    expect(server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    fireEvent.click(deleteButton);
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Remove Google?' })).getByRole('button', { name: 'Remove identity provider' }));
    expect(await screen.findByText('Google was removed')).toBeTruthy();
    expect(document.activeElement?.textContent).toContain('Google was removed');
    await waitFor(() => expect(screen.queryByText('https://accounts.google.com')).toBeNull());
    expect(server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('tells a non-admin this screen is not for them', async () => {
    answers['GET /bff/session'] = () => ({
      body: {
        authenticated: true,
        user: { id: 'u1', email: 'u@example.com', name: 'U', role: 'user' },
        expiresAt: Date.now() + 3_600_000,
        impersonation: null,
      },
    });
    renderApp('/admin/connections');
    expect(await screen.findByText('You need to be an administrator')).toBeTruthy();
  });
});
