import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VerifyEmailStep } from './verify-email-step.tsx';

function renderStep() {
  const client = new QueryClient({ defaultOptions: { mutations: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <VerifyEmailStep uid="uid-1" email="ada@example.com" />
    </QueryClientProvider>,
  );
}

const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('VerifyEmailStep', () => {
  it('posts the typed code without spaces and shows a wrong code in place', async () => {
    const fetchMock = vi.fn(async () =>
      answer(400, { error: 'invalid_code', message: 'That code is not right. 4 tries left.', fields: { code: 'That code is not right.' } }),
    );
    vi.stubGlobal('fetch', fetchMock);
    renderStep();
    expect(screen.getByText('ada@example.com')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Code'), { target: { value: '123 456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify and continue' }));
    await waitFor(() => expect(screen.getByText('That code is not right. 4 tries left.')).toBeTruthy(), { timeout: 5000 });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(String(url)).toContain('/bff/interaction/uid-1/verify-email');
    expect(JSON.parse(String(init.body))).toEqual({ code: '123456' });
  });

  it('says a new code is on its way after "Send a new code"', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => answer(200, { ok: true, email: 'ada@example.com' })),
    );
    renderStep();
    fireEvent.click(screen.getByRole('button', { name: 'Send a new code' }));
    await waitFor(() => expect(screen.getByText(/A new code is on its way/)).toBeTruthy(), { timeout: 5000 });
  });
});
