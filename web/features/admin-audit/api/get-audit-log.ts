import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

import type { AuditEntryWire, AuditPageWire, AuditPeople } from '../../../../api/audit.ts';

export type AuditEntry = AuditEntryWire;
export type People = AuditPeople;
export type AuditPage = AuditPageWire;

/** What the screen filters by; empty strings and undefined mean "any". */
export interface AuditFilters {
  email?: string;
  kind?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, inclusive. */
  to?: number;
}

export const AUDIT_PAGE_SIZE = 50;

/** The query string for one page: newest first, older than `before` (a seq) when given. */
export function auditSearch(filters: AuditFilters, before?: number): string {
  const params = new URLSearchParams();
  if (filters.kind) params.set('kind', filters.kind);
  if (filters.email) params.set('email', filters.email);
  if (filters.from !== undefined) params.set('from', String(filters.from));
  if (filters.to !== undefined) params.set('to', String(filters.to));
  if (before !== undefined) params.set('before', String(before));
  params.set('limit', String(AUDIT_PAGE_SIZE));
  return params.toString();
}

/** The download of every entry that matches `filters`, as JSON lines (the BFF streams it). */
export function auditExportUrl(filters: AuditFilters): string {
  const params = new URLSearchParams(auditSearch(filters));
  params.delete('limit');
  return `/bff/admin/audit/export?${params.toString()}`;
}

export function getAuditPage(filters: AuditFilters, before?: number, signal?: AbortSignal): Promise<AuditPage> {
  return apiGet<AuditPage>(`/bff/admin/audit?${auditSearch(filters, before)}`, { signal });
}

export function auditLogQueryOptions(filters: AuditFilters) {
  return infiniteQueryOptions({
    queryKey: ['admin', 'audit', filters],
    queryFn: ({ pageParam, signal }) => getAuditPage(filters, pageParam, signal),
    initialPageParam: undefined as number | undefined,
    // A short page is the oldest one; otherwise page on from the last (oldest) seq shown.
    getNextPageParam: (last) => (last.entries.length < AUDIT_PAGE_SIZE ? undefined : last.entries.at(-1)?.seq),
  });
}

export function useAuditLog(filters: AuditFilters) {
  return useInfiniteQuery(auditLogQueryOptions(filters));
}
