import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import { leaveTo } from '../../lib/navigation.ts';
import type * as Navigation from '../../lib/navigation.ts';

// Full-page navigations cannot happen in jsdom; record them instead.
vi.mock('../../lib/navigation.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof Navigation>()),
  leaveTo: vi.fn(),
}));

const interaction = (over: Record<string, unknown> = {}) => ({
  body: {
    uid: 'abc',
    prompt: 'login',
    client: { clientId: 'portal', name: 'Portal', logoUrl: null, firstParty: true },
    loginHint: null,
    user: null,
    scopes: [],
    connections: [],
    pendingLink: null,
    ...over,
  },
});

const bff = useFakeBff(() => {
  bff.answers['GET /bff/session'] = () => ({ body: { authenticated: false } });
  bff.answers['GET /bff/interaction/abc'] = () => interaction();
});
beforeEach(() => vi.mocked(leaveTo).mockClear());

const chosen = () => bff.server.requests.filter((r) => r.method === 'POST' && r.url === '/bff/interaction/abc/new-password');

async function chooseOwn(password: string) {
  fireEvent.change(await screen.findByLabelText('New password'), { target: { value: password } });
  fireEvent.change(screen.getByLabelText('Repeat the new password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Save and continue' }));
}

describe('sign-in: an initial password set by an administrator', () => {
  it('asks for the person’s own password after the given one, shows a refusal on the field, then goes on', async () => {
    bff.answers['POST /bff/interaction/abc/login'] = () => ({ body: { next: 'new_password', email: 'new@example.com' } });
    let tries = 0;
    bff.answers['POST /bff/interaction/abc/new-password'] = () =>
      tries++ === 0
        ? {
            status: 400,
            body: {
              error: 'same_password',
              message: 'Choose a password different from the one you were given.',
              fields: { password: 'Choose a password different from the one you were given.' },
            },
          }
        : { body: { redirectTo: '/oauth/auth/abc' } };
    renderApp('/interaction/abc');
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'new@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'given by the admin 42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Choose your own password' })).toBeTruthy();
    expect(screen.queryByLabelText(/Sign out everywhere/)).toBeNull();
    await chooseOwn('given by the admin 42');
    await waitFor(() => expect(screen.getByLabelText('New password').getAttribute('aria-invalid')).toBe('true'));
    expect(leaveTo).not.toHaveBeenCalled();
    await chooseOwn('my very own secret words');
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/oauth/auth/abc'));
    expect(chosen().map((r) => r.json)).toEqual([{ password: 'given by the admin 42' }, { password: 'my very own secret words' }]);
  });

  it('shows the step again on a reloaded screen while the sign-in waits for it', async () => {
    bff.answers['GET /bff/interaction/abc'] = () => interaction({ newPassword: { email: 'new@example.com' } });
    renderApp('/interaction/abc');
    expect(await screen.findByRole('heading', { name: 'Choose your own password' })).toBeTruthy();
    expect(screen.getByText('new@example.com')).toBeTruthy();
  });
});
