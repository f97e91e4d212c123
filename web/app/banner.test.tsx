import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ImpersonationBar } from './banner.tsx';

const start = Date.UTC(2025, 5, 1, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: start });
});

afterEach(() => {
  vi.useRealTimers();
});

const impersonation = (expiresAt: string | number) => ({
  impersonator: { id: 'a1', email: 'root@example.com', name: 'Root' },
  reason: 'Ticket 42',
  expiresAt,
});

describe('ImpersonationBar', () => {
  it('counts down to expiresAt and reports expiry once', () => {
    const onExpired = vi.fn();
    render(
      <ImpersonationBar
        userEmail="ada@example.com"
        impersonation={impersonation(new Date(start + 65_000).toISOString())}
        onStop={() => {}}
        onExpired={onExpired}
      />,
    );
    const bar = screen.getByRole('region', { name: 'Impersonation' });
    expect(bar.textContent).toContain('You are impersonating ada@example.com — reason: Ticket 42 — 01:05 left');

    act(() => {
      vi.advanceTimersByTime(6_000);
    });
    expect(screen.getByRole('timer').textContent).toBe('00:59');
    expect(onExpired).not.toHaveBeenCalled();

    act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(screen.getByRole('timer').textContent).toBe('00:00');
    act(() => {
      vi.advanceTimersByTime(5_000);
    });
    expect(onExpired).toHaveBeenCalledTimes(1);
  });

  it('asks again every 10 s while the server has not ended it yet', () => {
    const onExpired = vi.fn();
    render(<ImpersonationBar userEmail="ada@example.com" impersonation={impersonation(start + 1_000)} onStop={() => {}} onExpired={onExpired} />);
    act(() => {
      vi.advanceTimersByTime(2_000);
    });
    expect(onExpired).toHaveBeenCalledTimes(1);
    act(() => {
      vi.advanceTimersByTime(10_000);
    });
    expect(onExpired).toHaveBeenCalledTimes(2);
  });

  it('accepts expiresAt in epoch seconds', () => {
    render(<ImpersonationBar userEmail="ada@example.com" impersonation={impersonation(start / 1000 + 600)} onStop={() => {}} />);
    expect(screen.getByRole('timer').textContent).toBe('10:00');
  });

  it('Stop impersonating asks first: Escape cancels (focus back on Stop), Stop now calls onStop; disabled while stopping', () => {
    const onStop = vi.fn();
    const { rerender } = render(<ImpersonationBar userEmail="ada@example.com" impersonation={impersonation(start + 60_000)} onStop={onStop} />);
    const stop = screen.getByRole('button', { name: 'Stop impersonating' });
    stop.focus();
    fireEvent.click(stop);
    const dialog = screen.getByRole('dialog', { name: 'Stop impersonating ada@example.com?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(stop);
    expect(onStop).not.toHaveBeenCalled();

    fireEvent.click(stop);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Stop now' }));
    expect(onStop).toHaveBeenCalledTimes(1);
    rerender(<ImpersonationBar userEmail="ada@example.com" impersonation={impersonation(start + 60_000)} onStop={onStop} stopping />);
    expect((screen.getByRole('button', { name: 'Stop impersonating' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
