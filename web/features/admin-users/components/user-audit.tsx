import { queryOptions, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { QueryError } from '../../../components/ui/query-error.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { apiGet } from '../../../lib/api-client.ts';
import type { AuditPage } from '../../admin-audit/api/get-audit-log.ts';
import { AuditTable } from '../../admin-audit/components/audit-table.tsx';

/** The newest entries about this user (the audit API's subject filter), and the way to the full log. */
export function UserAudit({ userId, email }: { userId: string; email: string }) {
  const trail = useQuery(
    queryOptions({
      queryKey: ['admin', 'users', 'one', userId, 'audit'],
      queryFn: ({ signal }) => apiGet<AuditPage>(`/bff/admin/audit?subjectId=${encodeURIComponent(userId)}&limit=20`, { signal }),
    }),
  );
  return (
    <section className="card card--wide" aria-labelledby="user-audit-title">
      <h2 id="user-audit-title">Audit trail</h2>
      {trail.isPending ? <Spinner /> : null}
      {trail.isError ? <QueryError error={trail.error} onRetry={() => void trail.refetch()} /> : null}
      {trail.data ? (
        trail.data.entries.length === 0 ? (
          <p className="muted">Nothing recorded about this user yet.</p>
        ) : (
          <AuditTable entries={trail.data.entries} people={trail.data.people ?? {}} />
        )
      ) : null}
      <p>
        <Link to={`/admin/audit?email=${encodeURIComponent(email)}`}>Everything this person did or had done to them, in the audit log</Link>
      </p>
    </section>
  );
}
