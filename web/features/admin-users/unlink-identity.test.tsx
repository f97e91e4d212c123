import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import type { LinkedIdentity } from './api/users.ts';
import { answerUserPage, person } from './test-fixtures.ts';

const pat = person({ email: 'pat@example.com', name: 'Pat', hasPassword: false });
const google: LinkedIdentity = { connectionId: 'conn_g', connection: 'Google', subject: 'g-1', email: 'pat@gmail.example', linkedAt: 1, lastUsedAt: 2 };

const bff = useFakeBff(() => answerUserPage(bff, pat, [google]));

const unlinks = () => bff.server.requests.filter((r) => r.method === 'POST' && r.url === '/bff/admin/users/u1/identities/unlink');

describe('admin: unlinking one identity provider from a person', () => {
  it('warns that a person without a password is locked out, then unlinks exactly that identity', async () => {
    bff.answers['POST /bff/admin/users/u1/identities/unlink'] = () => ({ body: { ok: true } });
    renderApp('/admin/users/u1');
    fireEvent.click(await screen.findByRole('button', { name: 'Unlink Google (pat@gmail.example)' }));
    const dialog = await screen.findByRole('dialog', { name: 'Unlink Google (pat@gmail.example)?' });
    expect(within(dialog).getByText(/They have no password: send them a password reset link/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Unlink' }));
    await waitFor(() => expect(unlinks()).toHaveLength(1));
    expect(unlinks()[0]!.json).toEqual({ connectionId: 'conn_g', subject: 'g-1' });
    expect(await screen.findByText('Google (pat@gmail.example) is no longer linked.')).toBeTruthy();
  });
});
