import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import { person } from './test-fixtures.ts';

const bff = useFakeBff(() => {
  bff.answers['GET /bff/session'] = () => ({
    body: {
      authenticated: true,
      user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin' },
      expiresAt: Date.now() + 3_600_000,
      impersonation: null,
    },
  });
  bff.answers['GET /bff/admin/users'] = () => ({ body: { users: [person()], next: null } });
});

const listed = () =>
  bff.server.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/bff/admin/users?')).map((r) => new URL(r.url, 'http://x').searchParams);

describe('admin users: the "has a second factor" filter', () => {
  it('asks the BFF for people with a second factor, after the filters are applied', async () => {
    renderApp('/admin/users');
    const box = await screen.findByRole('checkbox', { name: 'Has a second factor (authenticator app or passkey)' });
    await waitFor(() => expect(listed()).toHaveLength(1));
    expect(listed()[0]!.has('secondFactor')).toBe(false);
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('button', { name: 'Show users' }));
    await waitFor(() => expect(listed()).toHaveLength(2));
    expect(listed()[1]!.get('secondFactor')).toBe('1');
  });

  it('opens with the filter on from a shared link', async () => {
    renderApp('/admin/users?secondFactor=1');
    expect(((await screen.findByRole('checkbox', { name: 'Has a second factor (authenticator app or passkey)' })) as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(listed().at(-1)?.get('secondFactor')).toBe('1'));
  });
});
