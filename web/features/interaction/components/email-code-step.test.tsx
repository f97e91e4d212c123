import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { codeFromFragment } from './email-code-step.tsx';
import { LoginForm } from './login-form.tsx';

describe('codeFromFragment', () => {
  it('takes exactly six digits from the fragment', () => {
    expect(codeFromFragment('#code=012345')).toBe('012345');
    expect(codeFromFragment('#code=12345')).toBeNull();
    expect(codeFromFragment('#code=12345a')).toBeNull();
    expect(codeFromFragment('')).toBeNull();
  });
});

describe('LoginForm "Email me a sign-in code"', () => {
  it('asks with the email typed so far, and is absent without a handler', () => {
    const onEmailCode = vi.fn();
    const client = { clientId: 'portal-bff', name: 'Portal', logoUrl: null, firstParty: true };
    const { unmount } = render(<LoginForm client={client} loginHint={null} onSubmit={vi.fn()} pending={false} error={null} onEmailCode={onEmailCode} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: ' ada@example.com ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Email me a sign-in code' }));
    expect(onEmailCode).toHaveBeenCalledWith('ada@example.com');
    unmount();
    render(<LoginForm client={client} loginHint={null} onSubmit={vi.fn()} pending={false} error={null} />);
    expect(screen.queryByRole('button', { name: 'Email me a sign-in code' })).toBeNull();
  });
});
