import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../lib/api-client.ts';
import type { InteractionClient, InteractionScope } from '../api/get-interaction.ts';
import { ConsentForm } from './consent-form.tsx';
import type { ConsentFormProps } from './consent-form.tsx';

const client: InteractionClient = {
  clientId: 'acme-crm',
  name: 'Acme CRM',
  logoUrl: '/logos/acme.png',
  firstParty: false,
};

const scopes: InteractionScope[] = [
  { name: 'openid', description: 'Sign you in', required: true, previouslyGranted: false },
  { name: 'profile', description: 'See your name', required: false, previouslyGranted: false },
  { name: 'email', description: 'See your email address', required: false, previouslyGranted: false },
  { name: 'offline_access', description: 'Stay connected when you are away', required: false, previouslyGranted: true },
];

function renderForm(overrides: Partial<ConsentFormProps> = {}) {
  const onAllow = vi.fn<(scopes: string[]) => void>();
  const onDeny = vi.fn<() => void>();
  render(
    <ConsentForm
      client={client}
      user={{ email: 'ada@example.com', name: 'Ada' }}
      scopes={scopes}
      onAllow={onAllow}
      onDeny={onDeny}
      pending={null}
      error={null}
      {...overrides}
    />,
  );
  return { onAllow, onDeny };
}

const checkbox = (name: RegExp) => screen.getByRole('checkbox', { name }) as HTMLInputElement;

describe('ConsentForm', () => {
  it('says who is asking, for which account', () => {
    renderForm();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Acme CRM wants to access your Portal account');
    const logo = screen.getByRole('img', { name: 'Acme CRM logo' }) as HTMLImageElement;
    expect(logo.getAttribute('src')).toBe('/logos/acme.png');
    expect(screen.getByText('ada@example.com')).toBeTruthy();
  });

  it('shows required scopes checked, disabled and marked "required"', () => {
    renderForm();
    const openid = checkbox(/Sign you in/);
    expect(openid.checked).toBe(true);
    expect(openid.disabled).toBe(true);
    const noteId = openid.getAttribute('aria-describedby');
    expect(noteId).not.toBeNull();
    expect(document.getElementById(noteId ?? '')?.textContent).toBe('required');

    fireEvent.click(openid);
    expect(openid.checked).toBe(true);
  });

  it('offers optional new scopes as checkboxes the user can clear', () => {
    renderForm();
    const profile = checkbox(/See your name/);
    expect(profile.disabled).toBe(false);
    expect(profile.checked).toBe(true);
    fireEvent.click(profile);
    expect(profile.checked).toBe(false);
  });

  it('lists previously granted scopes as already allowed, not as new checkboxes', () => {
    renderForm();
    expect(screen.queryByRole('checkbox', { name: /Stay connected/ })).toBeNull();
    expect(screen.getAllByRole('checkbox')).toHaveLength(3);
    const granted = screen.getByRole('region', { name: 'Already allowed' });
    expect(within(granted).getByText(/Stay connected when you are away/)).toBeTruthy();
  });

  it('allows only the checked scopes (plus required and already allowed ones)', () => {
    const { onAllow, onDeny } = renderForm();
    fireEvent.click(checkbox(/See your email address/));
    fireEvent.click(screen.getByRole('button', { name: 'Allow' }));
    expect(onAllow).toHaveBeenCalledTimes(1);
    expect(onAllow).toHaveBeenCalledWith(['openid', 'profile', 'offline_access']);
    expect(onDeny).not.toHaveBeenCalled();
  });

  it('with every optional scope cleared, allows just the required ones', () => {
    const { onAllow } = renderForm({ scopes: scopes.slice(0, 3) });
    fireEvent.click(checkbox(/See your name/));
    fireEvent.click(checkbox(/See your email address/));
    fireEvent.click(screen.getByRole('button', { name: 'Allow' }));
    expect(onAllow).toHaveBeenCalledWith(['openid']);
  });

  it('Deny calls onDeny and never onAllow', () => {
    const { onAllow, onDeny } = renderForm();
    fireEvent.click(screen.getByRole('button', { name: 'Deny' }));
    expect(onDeny).toHaveBeenCalledTimes(1);
    expect(onAllow).not.toHaveBeenCalled();
  });

  it('disables both answers while one is being sent', () => {
    const { onAllow } = renderForm({ pending: 'allow' });
    const allow = screen.getByRole('button', { name: 'Allow' }) as HTMLButtonElement;
    const deny = screen.getByRole('button', { name: 'Deny' }) as HTMLButtonElement;
    expect(allow.disabled).toBe(true);
    expect(deny.disabled).toBe(true);
    fireEvent.click(allow);
    expect(onAllow).not.toHaveBeenCalled();
  });

  it('shows a failed answer in an alert', () => {
    renderForm({ error: new ApiError({ status: 500, code: 'server_error', message: 'Something broke.' }) });
    expect(screen.getByRole('alert').textContent).toContain('Something broke.');
  });
});
