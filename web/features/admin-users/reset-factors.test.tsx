import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import { renderApp } from '../../test/render-app.tsx';
import { answerUserPage, person } from './test-fixtures.ts';
import { removedInWords } from './components/reset-factors.tsx';

const sam = person();

const bff = useFakeBff(() => answerUserPage(bff, sam));

const resets = () => bff.server.requests.filter((r) => r.method === 'POST' && r.url === '/bff/admin/users/u1/second-factors/reset');

describe("admin: resetting a person's second factors", () => {
  it('asks first; Cancel sends nothing and gives focus back; confirming says what went', async () => {
    bff.answers['POST /bff/admin/users/u1/second-factors/reset'] = () => ({ body: { removed: { totp: true, recoveryCodes: 8, passkeys: 1 } } });
    renderApp('/admin/users/u1');
    const button = await screen.findByRole('button', { name: 'Reset second factors' });
    button.focus();
    fireEvent.click(button);
    const dialog = await screen.findByRole('dialog', { name: "Reset sam@example.com's second factors?" });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(document.activeElement).toBe(button));
    expect(resets()).toHaveLength(0);
    fireEvent.click(button);
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Reset second factors' }));
    expect(await screen.findByText('Removed their authenticator app, 8 unused recovery codes and 1 passkey.')).toBeTruthy();
    expect(resets()).toHaveLength(1);
    expect(resets()[0]!.headers['x-portal-csrf']).toBe('1');
  });

  it('words every case', () => {
    expect(removedInWords({ totp: false, recoveryCodes: 0, passkeys: 0 })).toBe('They had no second factor to remove.');
    expect(removedInWords({ totp: false, recoveryCodes: 0, passkeys: 2 })).toBe('Removed 2 passkeys.');
    expect(removedInWords({ totp: true, recoveryCodes: 1, passkeys: 0 })).toBe('Removed their authenticator app and 1 unused recovery code.');
  });
});
