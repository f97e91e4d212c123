import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import { answerUserPage, person } from './test-fixtures.ts';

const sam = person();

const bff = useFakeBff(() => answerUserPage(bff, sam));

const puts = () => bff.server.requests.filter((r) => r.method === 'PUT' && r.url === '/bff/admin/users/u1/username');
const form = () => within(screen.getByRole('form', { name: 'Username' }));

describe("admin: a user's sign-in username", () => {
  it('sets it (trimmed) and says what it means', async () => {
    bff.answers['PUT /bff/admin/users/u1/username'] = () => ({ body: { user: { ...sam, username: 'operator' } } });
    renderApp('/admin/users/u1');
    fireEvent.change(await screen.findByLabelText('Username (optional)'), { target: { value: '  operator ' } });
    fireEvent.click(form().getByRole('button', { name: 'Save username' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    expect(puts()[0]!.json).toEqual({ username: 'operator' });
    expect(puts()[0]!.headers['x-portal-csrf']).toBe('1');
    expect(await screen.findByText('sam@example.com can now sign in as operator.')).toBeTruthy();
  });

  it('an empty one removes it; a taken one is shown on the field with focus on it', async () => {
    bff.answers['PUT /bff/admin/users/u1/username'] = () => ({
      status: 409,
      body: { error: 'username_taken', message: 'The username operator is already taken.', fields: { username: 'This username is already taken.' } },
    });
    renderApp('/admin/users/u1');
    const field = await screen.findByLabelText('Username (optional)');
    fireEvent.change(field, { target: { value: 'operator' } });
    fireEvent.click(form().getByRole('button', { name: 'Save username' }));
    expect(await screen.findByText('This username is already taken.')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Username (optional)')));
    bff.answers['PUT /bff/admin/users/u1/username'] = () => ({ body: { user: sam } });
    fireEvent.change(screen.getByLabelText('Username (optional)'), { target: { value: '' } });
    fireEvent.click(form().getByRole('button', { name: 'Save username' }));
    await waitFor(() => expect(puts()).toHaveLength(2));
    expect(puts()[1]!.json).toEqual({ username: null });
  });
});
