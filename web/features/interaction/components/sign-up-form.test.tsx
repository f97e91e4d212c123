import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../lib/api-client.ts';
import { SignUpForm } from './sign-up-form.tsx';

describe('SignUpForm', () => {
  it('submits trimmed email and name with the password, and shows a taken email at the field', () => {
    const onSubmit = vi.fn();
    const { rerender } = render(<SignUpForm onSubmit={onSubmit} onCancel={vi.fn()} pending={false} error={null} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: ' new@example.com ' } });
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: ' New Person ' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a fine long passphrase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(onSubmit).toHaveBeenCalledWith({ email: 'new@example.com', name: 'New Person', password: 'a fine long passphrase' });
    const taken = new ApiError({
      status: 409,
      code: 'email_taken',
      message: 'An account with the email new@example.com already exists.',
      fields: { email: 'This email is already registered.' },
    });
    rerender(<SignUpForm onSubmit={onSubmit} onCancel={vi.fn()} pending={false} error={taken} />);
    expect(screen.getByText('This email is already registered.')).toBeTruthy();
  });
});
