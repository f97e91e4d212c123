import { screen } from '@testing-library/react';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../test/http-server.ts';
import type { TestServer } from '../../test/http-server.ts';
import { pointDocumentAt, renderApp } from '../../test/render-app.tsx';

let server: TestServer;
let answer: Record<string, unknown> = {};

beforeAll(async () => {
  server = await startServer((request) => {
    const path = request.url.split('?')[0];
    if (request.method === 'GET' && path === '/bff/session') return { body: { authenticated: false } };
    if (request.method === 'GET' && path === '/bff/interaction/abc') {
      return {
        body: {
          uid: 'abc',
          prompt: 'login',
          client: { clientId: 'partner', name: 'Partner', logoUrl: null, firstParty: false },
          loginHint: null,
          user: null,
          scopes: [],
          connections: [],
          pendingLink: null,
          ...answer,
        },
      };
    }
    return { status: 404, body: { error: 'not_found', message: `No route for ${path}` } };
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  pointDocumentAt(server.origin);
});

describe('sign-in screen: the screen the app asked for (WorkOS screen_hint)', () => {
  it('opens on "Create an account" when the BFF says screen: sign-up', async () => {
    answer = { signUp: true, screen: 'sign-up' };
    renderApp('/interaction/abc');
    expect(await screen.findByRole('heading', { name: 'Create an account' })).toBeTruthy();
  });

  it('opens on the sign-in form otherwise', async () => {
    answer = { signUp: true, screen: 'sign-in' };
    renderApp('/interaction/abc');
    expect(await screen.findByRole('button', { name: 'Create account' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Create an account' })).toBeNull();
  });
});
