import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../../test/http-server.ts';
import type { RecordedRequest, Reply, TestServer } from '../../test/http-server.ts';
import { pointDocumentAt, renderApp } from '../../test/render-app.tsx';
import { leaveTo } from '../../lib/navigation.ts';
import type * as Navigation from '../../lib/navigation.ts';

// Full-page navigations cannot happen in jsdom; record them instead.
vi.mock('../../lib/navigation.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof Navigation>()),
  leaveTo: vi.fn(),
}));

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
  answers = { 'GET /bff/session': () => ({ body: { authenticated: false } }) };
  server.requests.length = 0;
  vi.mocked(leaveTo).mockClear();
  pointDocumentAt(server.origin);
});

const sent = (method: string, path: string) => server.requests.filter((r) => r.method === method && r.url.split('?')[0] === path);

function interaction(extra: Record<string, unknown>): Route {
  return () => ({
    body: {
      uid: 'abc',
      prompt: 'login',
      client: { clientId: 'portal-bff', name: 'Portal', logoUrl: null, firstParty: true },
      loginHint: null,
      user: null,
      scopes: [],
      connections: [
        { id: 'conn_g', name: 'Google', kind: 'social' },
        { id: 'conn_corp', name: 'Corp SSO', kind: 'sso' },
      ],
      homeRealmDiscovery: true,
      pendingLink: null,
      ...extra,
    },
  });
}

describe('sign-in screen: federation', () => {
  it('shows a "Continue with" button per connection, each a navigation to the BFF start', async () => {
    answers['GET /bff/interaction/abc'] = interaction({});
    renderApp('/interaction/abc');
    const google = await screen.findByRole('button', { name: 'Continue with Google' });
    expect(screen.getByRole('button', { name: 'Continue with Corp SSO' })).toBeTruthy();
    fireEvent.click(google);
    expect(leaveTo).toHaveBeenCalledWith('/bff/federation/conn_g/start?uid=abc');
  });

  it('sends an email of an organization domain straight to its provider', async () => {
    answers['GET /bff/interaction/abc'] = interaction({});
    answers['POST /bff/interaction/abc/discover'] = (r) => ({
      body: { connection: (r.json as { email: string }).email.endsWith('@corp.test') ? { id: 'conn_corp', name: 'Corp SSO', kind: 'sso' } : null },
    });
    renderApp('/interaction/abc');
    const email = await screen.findByLabelText('Email');
    fireEvent.change(email, { target: { value: 'carol@corp.test' } });
    fireEvent.blur(email);
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/bff/federation/conn_corp/start?uid=abc&login_hint=carol%40corp.test'));
    expect(await screen.findByText('Your organization signs in with Corp SSO. Taking you there…')).toBeTruthy();
    expect(sent('POST', '/bff/interaction/abc/discover')[0]?.headers['x-portal-csrf']).toBe('1');
  });

  it('signs in with the password when the domain belongs to no provider', async () => {
    answers['GET /bff/interaction/abc'] = interaction({});
    answers['POST /bff/interaction/abc/discover'] = () => ({ body: { connection: null } });
    answers['POST /bff/interaction/abc/login'] = () => ({ body: { redirectTo: '/oauth/auth/abc' } });
    renderApp('/interaction/abc');
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/oauth/auth/abc'));
    expect(sent('POST', '/bff/interaction/abc/login')).toHaveLength(1);
  });

  it('asks for the password once to link a provider, without discovery', async () => {
    answers['GET /bff/interaction/abc'] = interaction({ pendingLink: { connection: { id: 'conn_g', name: 'Google' }, email: 'bob@example.com' } });
    answers['POST /bff/interaction/abc/login'] = () => ({ body: { redirectTo: '/oauth/auth/abc' } });
    renderApp('/interaction/abc');
    expect(await screen.findByText('Sign in with your password once to link Google')).toBeTruthy();
    expect((screen.getByLabelText('Email') as HTMLInputElement).value).toBe('bob@example.com');
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/oauth/auth/abc'));
    expect(sent('POST', '/bff/interaction/abc/discover')).toHaveLength(0);
  });
});

describe('federation error screen', () => {
  it('explains the reason and leads back to the same sign-in', async () => {
    renderApp('/federation/error?reason=provider_unavailable&uid=abc');
    expect(await screen.findByRole('heading', { name: 'The sign-in provider is not responding' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to sign-in' }).getAttribute('href')).toBe('/interaction/abc');
    expect(screen.getByRole('link', { name: 'Go to the portal' }).getAttribute('href')).toBe('/');
  });

  it('has a generic text for an unknown reason, shown as text only', async () => {
    renderApp('/federation/error?reason=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(await screen.findByRole('heading', { name: 'The sign-in could not be completed' })).toBeTruthy();
    expect(screen.getByText('<script>alert(1)</script>').tagName).toBe('CODE');
    expect(screen.queryByRole('link', { name: 'Back to sign-in' })).toBeNull();
  });
});
