import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import type { Route } from '../../test/fake-bff.ts';
import { leaveTo } from '../../lib/navigation.ts';
import type * as Navigation from '../../lib/navigation.ts';
import type { RecordedRequest } from '../../test/http-server.ts';
import { renderApp } from '../../test/render-app.tsx';
import { REASON_TOO_SHORT } from './lib/policy.ts';

// Full-page navigations cannot happen in jsdom; record them instead.
vi.mock('../../lib/navigation.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof Navigation>()),
  leaveTo: vi.fn(),
}));

const bff = useFakeBff(() => vi.mocked(leaveTo).mockClear());
const { answers } = bff;

const sent = (method: string, path: string) => bff.server.requests.filter((r) => r.method === method && r.url.split('?')[0] === path);
const queryOf = (request: RecordedRequest) => new URL(request.url, bff.server.origin).searchParams;

const admin = { id: 'a1', email: 'root@example.com', name: 'Root', role: 'admin' };
const ada = { id: 'u1', email: 'ada@example.com', name: 'Ada Lovelace', role: 'user' };

function session(user: typeof admin, impersonation: unknown = null): Route {
  return () => ({
    body: { authenticated: true, user, expiresAt: Date.now() + 3_600_000, impersonation },
  });
}

const directory = [
  { ...ada, disabled: false, createdAt: 1_700_000_000_000 },
  { id: 'u2', email: 'adam@example.com', name: 'Adam Admin', role: 'admin', disabled: false, createdAt: 1_700_000_000_000 },
  { id: 'u3', email: 'ada.old@example.com', name: 'Old Ada', role: 'user', disabled: true, createdAt: 1_700_000_000_000 },
];

const searchAnswer: Route = (request) => {
  const q = (queryOf(request).get('query') ?? '').toLowerCase();
  return { body: { users: directory.filter((u) => u.email.includes(q) || u.name.toLowerCase().includes(q)) } };
};

/** Opens the screen as an admin, searches for "ada" and picks Ada. */
async function pickAda() {
  answers['GET /bff/session'] = session(admin);
  answers['GET /bff/admin/users'] = searchAnswer;
  renderApp('/admin/impersonate');
  fireEvent.change(await screen.findByLabelText('Search users'), { target: { value: ' ada ' } });
  await waitFor(() => expect(sent('GET', '/bff/admin/users').some((r) => queryOf(r).get('query') === 'ada')).toBe(true));
  const list = await screen.findByRole('group', { name: 'Users' });
  await waitFor(() => expect(within(list).queryByLabelText(/adam@example\.com/)).not.toBeNull());
  fireEvent.click(within(list).getByLabelText(/ada@example\.com/));
  return list;
}

const reasonBox = () => screen.getByLabelText('Reason (shown to the user and recorded)');

describe('impersonate a user', () => {
  it('searches (debounced), and lists admins and disabled users as not selectable', async () => {
    const users = await pickAda();
    const searches = sent('GET', '/bff/admin/users').map((r) => queryOf(r).get('query'));
    // One request for the page, one for the settled search: not one per keystroke.
    expect(searches).toEqual(['', 'ada']);

    const adam = within(users).getByLabelText(/adam@example\.com/) as HTMLInputElement;
    const old = within(users).getByLabelText(/ada\.old@example\.com/) as HTMLInputElement;
    expect(adam.disabled && old.disabled).toBe(true);
    expect(within(users).getByText('Administrator — cannot be impersonated')).toBeTruthy();
    expect(within(users).getByText('Disabled — cannot be impersonated')).toBeTruthy();
    expect(screen.getByText(/Administrators and disabled accounts are listed but cannot be chosen/)).toBeTruthy();
    expect((within(users).getByLabelText(/ada@example\.com/) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText('Impersonating:').textContent).toContain('ada@example.com');
  });

  it('blocks a reason shorter than 10 characters after trimming, with the server’s message', async () => {
    await pickAda();
    fireEvent.change(reasonBox(), { target: { value: '   too short   ' } });
    expect(screen.getByText('9 / 500 characters (at least 10)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));

    const message = screen.getByText(REASON_TOO_SHORT);
    expect(REASON_TOO_SHORT).toBe('Write why you are impersonating this user (at least 10 characters).');
    expect(reasonBox().getAttribute('aria-invalid')).toBe('true');
    expect(reasonBox().getAttribute('aria-describedby')).toContain(message.id);
    // Announced: focus goes to the field, which a screen reader reads with its message.
    expect(document.activeElement).toBe(reasonBox());
    expect(screen.queryByRole('button', { name: 'Start impersonating' })).toBeNull();

    // The message follows the text once shown.
    fireEvent.change(reasonBox(), { target: { value: 'Ticket 4242: cannot see invoices' } });
    expect(screen.queryByText(REASON_TOO_SHORT)).toBeNull();
    expect(sent('POST', '/bff/impersonation/start')).toHaveLength(0);
  });

  it('confirms, then shows the server’s 400 in place without navigating', async () => {
    answers['POST /bff/impersonation/start'] = () => ({
      status: 400,
      body: { error: 'reason_required', message: 'Write why you are impersonating this user (at least 10 characters).' },
    });
    await pickAda();
    fireEvent.change(reasonBox(), { target: { value: '  Ticket 4242: cannot see invoices  ' } });
    fireEvent.change(screen.getByLabelText('Duration'), { target: { value: '15' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));

    const confirm = screen.getByRole('dialog', { name: 'Impersonate ada@example.com for 15 minutes?' });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Start impersonating' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Write why you are impersonating this user (at least 10 characters).');
    expect(alert.closest('form')).not.toBeNull();
    // The refusal is announced and focused, in place of the closed confirmation.
    expect(alert.parentElement).toBe(document.activeElement);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(leaveTo).not.toHaveBeenCalled();

    const [post] = sent('POST', '/bff/impersonation/start');
    if (!post) throw new Error('no impersonation start was sent');
    expect(post.json).toEqual({ userId: 'u1', reason: 'Ticket 4242: cannot see invoices', durationMinutes: 15 });
    expect(post.headers['x-portal-csrf']).toBe('1');
  });

  it('reauth_required: shows the message and a link to sign in again', async () => {
    answers['POST /bff/impersonation/start'] = () => ({
      status: 403,
      body: { error: 'reauth_required', message: 'For your protection, sign in again (with your password) before impersonating someone.' },
    });
    await pickAda();
    fireEvent.change(reasonBox(), { target: { value: 'Ticket 4242: cannot see invoices' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    fireEvent.click(screen.getByRole('button', { name: 'Start impersonating' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('For your protection, sign in again');
    const link = within(alert).getByRole('link', { name: 'Sign in again' });
    expect(link.getAttribute('href')).toBe('/bff/login?reauth=1&returnTo=/admin/impersonate');
    expect(leaveTo).not.toHaveBeenCalled();
  });

  it('Cancel and Escape post nothing and give focus back to Continue; Start (default 15 minutes) follows redirectTo', async () => {
    answers['POST /bff/impersonation/start'] = () => ({ body: { redirectTo: '/account' } });
    await pickAda();
    fireEvent.change(reasonBox(), { target: { value: 'Ticket 4242: cannot see invoices' } });
    expect((screen.getByLabelText('Duration') as HTMLSelectElement).value).toBe('15');
    const continueButton = screen.getByRole('button', { name: 'Continue' });
    continueButton.focus();
    fireEvent.click(continueButton);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(continueButton);

    fireEvent.click(continueButton);
    fireEvent.keyDown(screen.getByRole('dialog', { name: 'Impersonate ada@example.com for 15 minutes?' }), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(continueButton);
    expect(sent('POST', '/bff/impersonation/start')).toHaveLength(0);

    fireEvent.click(continueButton);
    fireEvent.click(
      within(screen.getByRole('dialog', { name: 'Impersonate ada@example.com for 15 minutes?' })).getByRole('button', { name: 'Start impersonating' }),
    );
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/account'));
    expect(sent('POST', '/bff/impersonation/start')[0]?.json).toEqual({ userId: 'u1', reason: 'Ticket 4242: cannot see invoices', durationMinutes: 15 });
  });

  it('a non-admin sees the server’s refusal and no form', async () => {
    answers['GET /bff/session'] = session(ada);
    answers['GET /bff/admin/users'] = () => ({
      status: 403,
      body: { error: 'admin_required', message: 'You need to be an administrator to do this.' },
    });
    renderApp('/admin/impersonate');
    expect((await screen.findByRole('alert')).textContent).toContain('You need to be an administrator to do this.');
    expect(screen.queryByLabelText('Reason (shown to the user and recorded)')).toBeNull();
    expect(screen.queryByRole('navigation', { name: 'Admin' })).toBeNull();
  });

  it('while impersonating: the server’s refusal, no form and no admin links', async () => {
    answers['GET /bff/session'] = session(
      { ...admin, role: 'admin' },
      {
        id: 'i1',
        impersonator: { id: 'a0', email: 'boss@example.com', name: 'Boss' },
        reason: 'Ticket 42',
        expiresAt: Date.now() + 600_000,
      },
    );
    answers['GET /bff/admin/users'] = () => ({
      status: 403,
      body: { error: 'impersonation_forbidden', message: 'Admin screens are not available while you impersonate a user. Stop impersonating first.' },
    });
    renderApp('/admin/impersonate');
    const refusal = await screen.findByText(/Admin screens are not available while you impersonate a user/);
    expect(refusal.closest('[role="alert"]')).not.toBeNull();
    expect(screen.queryByLabelText('Search users')).toBeNull();
    expect(screen.queryByRole('navigation', { name: 'Admin' })).toBeNull();
    expect(screen.getByRole('region', { name: 'Impersonation' })).toBeTruthy();
  });

  it('signed out: sends the browser to sign in, coming back here', async () => {
    answers['GET /bff/session'] = () => ({ body: { authenticated: false } });
    renderApp('/admin/impersonate');
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/bff/login?returnTo=/admin/impersonate'));
  });

  it('the top bar links the admin screens for an admin', async () => {
    answers['GET /bff/session'] = session(admin);
    answers['GET /bff/admin/users'] = searchAnswer;
    renderApp('/admin/impersonate');
    const nav = await screen.findByRole('navigation', { name: 'Admin' });
    const links = within(nav)
      .getAllByRole('link')
      .map((a) => [a.textContent, a.getAttribute('href')]);
    // Other admin screens may sit between these; these three must be there.
    expect(links).toEqual(
      expect.arrayContaining([
        ['Partner apps', '/admin/clients'],
        ['Impersonate', '/admin/impersonate'],
        ['Audit log', '/admin/audit'],
      ]),
    );
  });
});

describe('impersonation banner', () => {
  // Tests that freeze the clock (only Date: timers and the fake server stay real) get it back here.
  afterEach(() => vi.useRealTimers());

  const imp = (expiresAt: number) => ({
    id: 'i1',
    impersonator: { id: 'a1', email: 'root@example.com', name: 'Root' },
    reason: 'Ticket 42',
    expiresAt,
  });

  it('counts down; at zero it re-reads the session, and the server’s answer ends it', async () => {
    // The clock stands still unless the test moves it, so each reading is exact.
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.parse('2026-03-01T10:00:00Z');
    vi.setSystemTime(start);
    const expiresAt = start + 150_000;
    // The fake server ends it at expiresAt, as the BFF does, and hands back the admin's session.
    answers['GET /bff/session'] = (request) => (Date.now() < expiresAt ? session(ada, imp(expiresAt))(request) : session(admin)(request));
    answers['GET /bff/account'] = () => ({
      body: {
        user: { ...(Date.now() < expiresAt ? ada : admin), createdAt: 1_700_000_000_000 },
        connectedApps: [],
        impersonations: [],
      },
    });
    renderApp('/account');

    const bar = await screen.findByRole('region', { name: 'Impersonation' });
    expect(bar.textContent).toMatch(/^You are impersonating ada@example\.com — reason: Ticket 42 — 02:30 left/);
    vi.setSystemTime(start + 61_000);
    await waitFor(() => expect(within(bar).getByRole('timer').textContent).toBe('01:29'), { timeout: 3_000 });
    vi.setSystemTime(expiresAt - 1);
    await waitFor(() => expect(within(bar).getByRole('timer').textContent).toBe('00:01'), { timeout: 3_000 });
    const readsBefore = sent('GET', '/bff/session').length;

    vi.setSystemTime(expiresAt);
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Impersonation' })).toBeNull(), { timeout: 3_000 });
    expect(sent('GET', '/bff/session').length).toBe(readsBefore + 1);
    // What was cached belonged to Ada: the account is fetched again, now as the admin.
    await screen.findByText('root@example.com', { selector: 'dd' });
    expect(await screen.findByRole('navigation', { name: 'Admin' })).toBeTruthy();
  });

  it('shows on every screen; Stop posts and follows redirectTo', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    answers['GET /bff/session'] = session(ada, imp(Date.now() + 30 * 60_000));
    answers['POST /bff/impersonation/stop'] = () => ({ body: { redirectTo: '/admin/impersonate' } });
    renderApp('/no/such/page');

    await screen.findByRole('heading', { name: 'Page not found' });
    const bar = await screen.findByRole('region', { name: 'Impersonation' });
    expect(within(bar).getByRole('timer').textContent).toBe('30:00');
    fireEvent.click(within(bar).getByRole('button', { name: 'Stop impersonating' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Stop now' }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/admin/impersonate'));
    const [stop] = sent('POST', '/bff/impersonation/stop');
    if (!stop) throw new Error('no impersonation stop was sent');
    expect(stop.headers['x-portal-csrf']).toBe('1');
  });

  it('a refused Stop (already ended) re-reads the session', async () => {
    let ended = false;
    answers['GET /bff/session'] = (request) => (ended ? session(admin)(request) : session(ada, imp(Date.now() + 60_000))(request));
    answers['POST /bff/impersonation/stop'] = () => {
      ended = true;
      return { status: 400, body: { error: 'not_impersonating', message: 'You are not impersonating anyone.' } };
    };
    renderApp('/no/such/page');
    const bar = await screen.findByRole('region', { name: 'Impersonation' });
    fireEvent.click(within(bar).getByRole('button', { name: 'Stop impersonating' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Stop now' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Impersonation' })).toBeNull());
    expect(leaveTo).not.toHaveBeenCalled();
  });
});
