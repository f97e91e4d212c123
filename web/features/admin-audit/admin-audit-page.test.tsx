import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useFakeBff } from '../../test/fake-bff.ts';
import type { Route } from '../../test/fake-bff.ts';
import { leaveTo } from '../../lib/navigation.ts';
import type * as Navigation from '../../lib/navigation.ts';
import type { RecordedRequest } from '../../test/http-server.ts';
import { renderApp } from '../../test/render-app.tsx';
import { AUDIT_PAGE_SIZE } from './api/get-audit-log.ts';
import type { AuditEntry } from './api/get-audit-log.ts';
import { formatAuditTime } from './lib/format.ts';

// Full-page navigations cannot happen in jsdom; record them instead.
vi.mock('../../lib/navigation.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof Navigation>()),
  leaveTo: vi.fn(),
}));

const bff = useFakeBff(() => vi.mocked(leaveTo).mockClear());
const { answers } = bff;

const auditRequests = () => bff.server.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/bff/admin/audit'));
const queryOf = (request: RecordedRequest | undefined) => {
  if (!request) throw new Error('no such audit request');
  return Object.fromEntries(new URL(request.url, bff.server.origin).searchParams);
};

const adminSession: Route = () => ({
  body: {
    authenticated: true,
    user: { id: 'a1', email: 'root@example.com', name: 'Root', role: 'admin' },
    expiresAt: Date.now() + 3_600_000,
    impersonation: null,
  },
});

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

function entry(seq: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq,
    at: T0 + seq * 60_000,
    kind: 'sign_in',
    actorId: 'u1',
    subjectId: 'u1',
    ip: '203.0.113.7',
    userAgent: 'Firefox',
    data: { method: 'password' },
    prevHash: 'p'.repeat(64),
    hash: 'h'.repeat(64),
    keyId: null,
    ...overrides,
  };
}

/** 60 entries, seq 60 (newest) down to 1; the first page holds 60..11. */
const log: AuditEntry[] = Array.from({ length: 60 }, (_, i) => entry(60 - i));
log[0] = entry(60, {
  kind: 'impersonation_started',
  actorId: 'a1',
  subjectId: 'u1',
  data: { impersonationId: 'i1', durationMinutes: 15, reason: 'Ticket 42: cannot see invoices' },
});
log[1] = entry(59, { kind: 'user_created', actorId: null, subjectId: 'gone-user', ip: null, data: { via: 'cli' } });
const people = { a1: { email: 'root@example.com', name: 'Root' }, u1: { email: 'ada@example.com', name: 'Ada' } };

const pagedLog: Route = (request) => {
  const q = queryOf(request);
  const before = q.before ? Number(q.before) : Infinity;
  const limit = Number(q.limit ?? 100);
  return { body: { entries: log.filter((e) => e.seq < before).slice(0, limit), people } };
};

describe('audit log', () => {
  it('renders entries with people’s emails, and pages back with before = the last seq', async () => {
    answers['GET /bff/session'] = adminSession;
    answers['GET /bff/admin/audit'] = pagedLog;
    renderApp('/admin/audit');

    const table = await screen.findByRole('table');
    const rows = () => within(table).getAllByRole('row').slice(1);
    const row = (i: number) => {
      const r = rows()[i];
      if (!r) throw new Error(`no row ${i}`);
      return r;
    };
    expect(rows()).toHaveLength(AUDIT_PAGE_SIZE);

    const cells = (row: HTMLElement) =>
      within(row)
        .getAllByRole('cell')
        .map((cell) => cell.textContent);
    const [seq, time, kind, actor, subject, ip, details] = cells(row(0));
    expect([seq, kind, actor, subject, ip]).toEqual(['60', 'Impersonation started', 'root@example.com', 'ada@example.com', '203.0.113.7']);
    expect(time).toBe(formatAuditTime(T0 + 60 * 60_000));
    // Plain words first (the reason leads on impersonation entries); the ids only inside a closed disclosure.
    expect(details).toBe('Reason: Ticket 42: cannot see invoicesMinutes: 15Idskind: impersonation_startedactor: a1subject: u1impersonationId: i1');
    expect(within(row(0)).getByText('Reason: Ticket 42: cannot see invoices')).toBeTruthy();
    const ids = within(row(0)).getByText('Ids').closest('details')!;
    expect(ids.open).toBe(false);
    expect(within(ids).getByText('i1').tagName).toBe('CODE');
    // The scroll region around the table can be reached (and so scrolled) by keyboard.
    expect(screen.getByRole('region', { name: 'Audit log table' }).tabIndex).toBe(0);

    // Nobody acted (the CLI): "system"; a subject the server could not name: its id.
    expect(cells(row(1)).slice(3, 6)).toEqual(['system', 'gone-user', '—']);

    expect(screen.getByText('portal audit verify')).toBeTruthy();
    expect(queryOf(auditRequests()[0])).toEqual({ limit: String(AUDIT_PAGE_SIZE) });

    fireEvent.click(screen.getByRole('button', { name: 'Older entries' }));
    await waitFor(() => expect(rows()).toHaveLength(60));
    expect(queryOf(auditRequests()[1])).toEqual({ before: '11', limit: String(AUDIT_PAGE_SIZE) });
    expect(cells(row(59))[0]).toBe('1');
    expect(screen.queryByRole('button', { name: 'Older entries' })).toBeNull();
    expect(screen.getByText('No older entries match.')).toBeTruthy();
  });

  it('filters by user email, kind and local days, keeping them in the address', async () => {
    answers['GET /bff/session'] = adminSession;
    answers['GET /bff/admin/audit'] = (request) => {
      const q = queryOf(request);
      // An unknown email: the BFF answers without people.
      return q.email ? { body: { entries: [] } } : pagedLog(request);
    };
    const { router } = renderApp('/admin/audit');
    await screen.findByRole('table');

    const kindSelect = screen.getByLabelText('Kind') as HTMLSelectElement;
    const options = Array.from(kindSelect.options).map((o) => o.value);
    expect(options).toContain('impersonation_refused');
    expect(options).toContain('impersonation_requested');
    expect(Array.from(kindSelect.options).find((o) => o.value === 'client_deleted')?.textContent).toBe('Deleted a partner app');
    expect(options).toContain('password_changed');
    expect(options[0]).toBe('');

    fireEvent.change(screen.getByLabelText('User email'), { target: { value: ' nobody@example.com ' } });
    fireEvent.change(kindSelect, { target: { value: 'impersonation_started' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2025-06-02' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2025-06-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(screen.getByText('The “to” day is before the “from” day.')).toBeTruthy();
    expect(auditRequests()).toHaveLength(1);

    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2025-06-03' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(await screen.findByText('No entries match these filters.')).toBeTruthy();

    expect(queryOf(auditRequests()[1])).toEqual({
      kind: 'impersonation_started',
      email: 'nobody@example.com',
      from: String(new Date(2025, 5, 2).getTime()),
      to: String(new Date(2025, 5, 4).getTime() - 1),
      limit: String(AUDIT_PAGE_SIZE),
    });
    expect(router.state.location.search).toBe('?email=nobody%40example.com&kind=impersonation_started&from=2025-06-02&to=2025-06-03');
    expect((screen.getByLabelText('User email') as HTMLInputElement).value).toBe('nobody@example.com');

    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(router.state.location.search).toBe(''));
    await screen.findByRole('table');
  });

  it('a refusal shows the server’s message and no log', async () => {
    answers['GET /bff/session'] = adminSession;
    answers['GET /bff/admin/audit'] = () => ({
      status: 403,
      body: { error: 'impersonation_forbidden', message: 'Admin screens are not available while you impersonate a user. Stop impersonating first.' },
    });
    renderApp('/admin/audit');
    expect((await screen.findByRole('alert')).textContent).toContain('Admin screens are not available while you impersonate a user.');
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByLabelText('Kind')).toBeNull();
  });

  it('signed out: sends the browser to sign in, coming back here', async () => {
    answers['GET /bff/session'] = () => ({ body: { authenticated: false } });
    renderApp('/admin/audit');
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith('/bff/login?returnTo=/admin/audit'));
  });
});
