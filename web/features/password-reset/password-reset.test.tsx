import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../lib/api-client.ts';
import { readResetToken } from './reset-password-page.tsx';
import { NewPasswordForm } from './components/new-password-form.tsx';
import type { NewPasswordFormProps } from './components/new-password-form.tsx';

describe('readResetToken', () => {
  it('reads the token from the fragment only', () => {
    expect(readResetToken('#token=abc_DEF-123')).toBe('abc_DEF-123');
    expect(readResetToken('#other=1&token=xyz')).toBe('xyz');
    expect(readResetToken('')).toBeNull();
    expect(readResetToken('#token=')).toBeNull();
  });
});

function renderForm(overrides: Partial<NewPasswordFormProps> = {}) {
  const onSubmit = vi.fn<NewPasswordFormProps['onSubmit']>();
  render(<NewPasswordForm email="ada@example.com" pending={false} error={null} onSubmit={onSubmit} {...overrides} />);
  return { onSubmit };
}

const submit = () => screen.getByRole('button', { name: 'Set the new password' }) as HTMLButtonElement;

describe('NewPasswordForm', () => {
  it('signs out everywhere unless unticked', () => {
    const { onSubmit } = renderForm();
    const box = screen.getByRole('checkbox', { name: /Sign out everywhere/ }) as HTMLInputElement;
    expect(box.checked).toBe(true);
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a long new passphrase' } });
    fireEvent.change(screen.getByLabelText('Repeat the new password'), { target: { value: 'a long new passphrase' } });
    fireEvent.click(submit());
    expect(onSubmit).toHaveBeenLastCalledWith({ password: 'a long new passphrase', signOutEverywhere: true });
    fireEvent.click(box);
    fireEvent.click(submit());
    expect(onSubmit).toHaveBeenLastCalledWith({ password: 'a long new passphrase', signOutEverywhere: false });
  });

  it('does not submit two different passwords', () => {
    const { onSubmit } = renderForm();
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a long new passphrase' } });
    fireEvent.change(screen.getByLabelText('Repeat the new password'), { target: { value: 'another one' } });
    expect(screen.getByText('The two passwords differ.')).toBeTruthy();
    expect(submit().disabled).toBe(true);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("shows the server's strength message at the field", () => {
    const message = 'The password must be at least 12 characters long.';
    renderForm({ error: new ApiError({ status: 400, code: 'weak_password', message, fields: { password: message } }) });
    expect(screen.getAllByText(message).length).toBe(2);
  });
});
