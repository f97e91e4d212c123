import { screen } from '@testing-library/react';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../test/http-server.ts';
import type { TestServer } from '../../test/http-server.ts';
import { pointDocumentAt, renderApp } from '../../test/render-app.tsx';
import { INTERACTION_DATA_ID } from '../../../api/interaction.ts';
import { takeEmbeddedInteraction } from './api/get-interaction.ts';

const interaction = (uid: string, name: string) => ({
  uid,
  prompt: 'login',
  client: { clientId: 'partner', name, logoUrl: null, firstParty: false },
  loginHint: null,
  user: null,
  scopes: [],
  connections: [],
  pendingLink: null,
});

let server: TestServer;

beforeAll(async () => {
  server = await startServer((request) => {
    const path = request.url.split('?')[0];
    if (request.method === 'GET' && path === '/bff/session') return { body: { authenticated: false } };
    if (request.method === 'GET' && path === '/bff/interaction/abc') return { body: interaction('abc', 'Fetched Partner') };
    return { status: 404, body: { error: 'not_found', message: `No route for ${path}` } };
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  pointDocumentAt(server.origin);
  server.requests.length = 0;
});

/** What the BFF writes into the HTML of /interaction/:uid (bff/http/spa.ts). */
function embed(value: unknown): void {
  const element = document.createElement('script');
  element.type = 'application/json';
  element.id = INTERACTION_DATA_ID;
  element.textContent = JSON.stringify(value).replace(/</g, '\\u003c');
  document.head.append(element);
}

const interactionCalls = () => server.requests.filter((r) => r.url.startsWith('/bff/interaction/')).length;

describe('sign-in screen: the interaction embedded in the page', () => {
  it('shows the form from the embedded data without asking the BFF', async () => {
    embed(interaction('abc', 'Embedded </script> Partner'));
    renderApp('/interaction/abc');
    expect(await screen.findByText(/Embedded <\/script> Partner/)).toBeTruthy();
    expect(interactionCalls()).toBe(0);
    expect(document.getElementById(INTERACTION_DATA_ID)).toBeNull();
  });

  it('ignores data for another interaction and asks the BFF', async () => {
    embed(interaction('other', 'Embedded Partner'));
    renderApp('/interaction/abc');
    expect(await screen.findByText(/Fetched Partner/)).toBeTruthy();
    expect(screen.queryByText(/Embedded Partner/)).toBeNull();
    expect(interactionCalls()).toBe(1);
  });

  it('is taken once: a second read finds nothing', () => {
    embed(interaction('abc', 'Embedded Partner'));
    expect(takeEmbeddedInteraction('abc')).toMatchObject({ client: { name: 'Embedded Partner' } });
    expect(takeEmbeddedInteraction('abc')).toBeUndefined();
  });
});
