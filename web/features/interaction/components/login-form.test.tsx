import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../lib/api-client.ts';
import type { InteractionClient } from '../api/get-interaction.ts';
import { LoginForm } from './login-form.tsx';
import type { LoginFormProps } from './login-form.tsx';

const partner: InteractionClient = { clientId: 'acme', name: 'Acme CRM', logoUrl: null, firstParty: false };

function renderForm(overrides: Partial<LoginFormProps> = {}) {
  const onSubmit = vi.fn<LoginFormProps['onSubmit']>();
  const result = render(<LoginForm client={partner} loginHint={null} onSubmit={onSubmit} pending={false} error={null} {...overrides} />);
  return { onSubmit, ...result };
}

const signIn = () => screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement;

afterEach(() => {
  vi.useRealTimers();
});

describe('LoginForm', () => {
  it('names the partner app it signs in to', () => {
    renderForm();
    expect(screen.getByText(/to continue to/).textContent).toBe('to continue to Acme CRM');
  });

  it('does not name a first-party app', () => {
    renderForm({ client: { ...partner, firstParty: true } });
    expect(screen.queryByText(/to continue to/)).toBeNull();
  });

  it('offers "Forgot password?" with the email typed so far', () => {
    renderForm();
    const link = () => screen.getByRole('link', { name: 'Forgot password?' }) as HTMLAnchorElement;
    expect(link().getAttribute('href')).toBe('/forgot-password');
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: ' ada+x@example.com ' } });
    expect(link().getAttribute('href')).toBe('/forgot-password?email=ada%2Bx%40example.com');
  });

  it('prefills the login hint and submits trimmed credentials', () => {
    const { onSubmit } = renderForm({ loginHint: 'ada@example.com' });
    const email = screen.getByLabelText('Email') as HTMLInputElement;
    expect(email.value).toBe('ada@example.com');
    fireEvent.change(email, { target: { value: '  grace@example.com ' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.click(signIn());
    expect(onSubmit).toHaveBeenCalledWith({ email: 'grace@example.com', password: 'correct horse' });
  });

  it('disables the button while submitting', () => {
    const { onSubmit } = renderForm({ pending: true });
    expect(signIn().disabled).toBe(true);
    fireEvent.submit(signIn().closest('form') as HTMLFormElement);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('shows a 401 in an alert', () => {
    renderForm({
      error: new ApiError({ status: 401, code: 'invalid_credentials', message: 'That email and password do not match.' }),
    });
    expect(screen.getByRole('alert').textContent).toContain('That email and password do not match.');
    expect(signIn().disabled).toBe(false);
  });

  it('after a 429, waits retryAfter seconds before allowing another try', () => {
    vi.useFakeTimers();
    const { onSubmit } = renderForm({
      error: new ApiError({ status: 429, code: 'too_many_attempts', message: 'Too many attempts.', retryAfter: 2 }),
    });
    expect(screen.getByRole('alert').textContent).toContain('Too many attempts.');
    expect(screen.getByRole('alert').textContent).toContain('You can try again in 2 seconds.');
    expect(signIn().disabled).toBe(true);
    fireEvent.submit(signIn().closest('form') as HTMLFormElement);
    expect(onSubmit).not.toHaveBeenCalled();

    act(() => {
      vi.advanceTimersByTime(2100);
    });
    expect(signIn().disabled).toBe(false);
  });

  it('a lock-out wait reads in minutes, and the alert takes focus', () => {
    renderForm({ error: new ApiError({ status: 429, code: 'too_many_attempts', message: 'Too many attempts.', retryAfter: 891 }) });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('You can try again in 15 minutes.');
    expect(document.activeElement).toBe(alert.parentElement);
  });

  it('checks inline, like every other form: no browser bubble, nothing sent, focus on the first field to fix, a stale answer gone', () => {
    const { onSubmit, rerender } = renderForm();
    const form = signIn().closest('form') as HTMLFormElement;
    expect(form.noValidate).toBe(true);
    // A server refusal from an earlier try...
    rerender(
      <LoginForm
        client={partner}
        loginHint={null}
        onSubmit={onSubmit}
        pending={false}
        error={new ApiError({ status: 401, code: 'invalid_credentials', message: 'Email or password is incorrect.' })}
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain('Email or password is incorrect.');

    const email = screen.getByLabelText('Email') as HTMLInputElement;
    fireEvent.change(email, { target: { value: `${'a'.repeat(313)}@example.com` } });
    fireEvent.click(signIn());
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.queryByText('Email or password is incorrect.')).toBeNull();
    expect(screen.getByText('An email address has at most 254 characters; this one has 325.')).toBeTruthy();
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(email);
    expect(screen.getByText('Enter your password.')).toBeTruthy();

    fireEvent.change(email, { target: { value: 'ada@example.com' } });
    fireEvent.click(signIn());
    const password = screen.getByLabelText('Password') as HTMLInputElement;
    expect(document.activeElement).toBe(password);
    expect(email.getAttribute('aria-invalid')).toBeNull();
    fireEvent.change(password, { target: { value: 'correct horse' } });
    fireEvent.click(signIn());
    expect(onSubmit).toHaveBeenCalledTimes(1);
  });
});
