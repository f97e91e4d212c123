import { useEffect } from 'react';
import { useSearchParams } from 'react-router';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { useSession } from '../session/api/get-session.ts';
import { useAuditLog } from './api/get-audit-log.ts';
import type { AuditFilters as Filters, People } from './api/get-audit-log.ts';
import { auditExportUrl } from './api/get-audit-log.ts';
import { AuditFilters } from './components/audit-filters.tsx';
import type { FilterValues } from './components/audit-filters.tsx';
import { AuditTable } from './components/audit-table.tsx';
import { dayEnd, dayStart } from './lib/dates.ts';

const RETURN_TO = '/admin/audit';
const FILTER_KEYS = ['email', 'kind', 'from', 'to'] as const;

function readFilters(params: URLSearchParams): FilterValues {
  return { email: params.get('email') ?? '', kind: params.get('kind') ?? '', from: params.get('from') ?? '', to: params.get('to') ?? '' };
}

function toApiFilters(values: FilterValues): Filters {
  return {
    email: values.email.trim() || undefined,
    kind: values.kind || undefined,
    from: dayStart(values.from),
    to: dayEnd(values.to),
  };
}

function AuditLog() {
  // Filters live in the address, so a filtered view survives a reload and can be shared with another admin.
  const [params, setParams] = useSearchParams();
  const values = readFilters(params);
  const log = useAuditLog(toApiFilters(values));

  const status = isApiError(log.error) ? log.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(RETURN_TO));
  }, [status]);

  const filters = (
    <AuditFilters
      key={params.toString()}
      initial={values}
      onApply={(next) => {
        const search = new URLSearchParams();
        for (const key of FILTER_KEYS) if (next[key]) search.set(key, next[key]);
        setParams(search);
      }}
    />
  );

  if (status === 403 && log.error) {
    return (
      <Alert tone="error" title="The audit log is not available to you">
        <p>{log.error.message}</p>
      </Alert>
    );
  }
  if (status === 401) return <Spinner label="Taking you to sign in…" />;
  if (log.isPending) return <Spinner />;
  if (log.isError && log.data === undefined) {
    return (
      <>
        {filters}
        <QueryError error={log.error} onRetry={() => void log.refetch()} />
      </>
    );
  }

  const pages = log.data.pages;
  const entries = pages.flatMap((page) => page.entries);
  const people: People = Object.assign({}, ...pages.map((page) => page.people ?? {}));

  return (
    <>
      {filters}
      <section className="card card--wide" aria-labelledby="audit-entries-title">
        <h2 id="audit-entries-title">Entries</h2>
        <p>
          <a href={auditExportUrl(toApiFilters(values))} download>
            Download these entries (JSON lines)
          </a>
        </p>
        {entries.length === 0 ? <p className="muted">No entries match these filters.</p> : <AuditTable entries={entries} people={people} />}
        {log.isFetchNextPageError ? <Alert tone="error">{log.error?.message}</Alert> : null}
        {log.hasNextPage ? (
          <div className="actions">
            <Button variant="secondary" onClick={() => void log.fetchNextPage()} pending={log.isFetchingNextPage}>
              Older entries
            </Button>
          </div>
        ) : entries.length > 0 ? (
          <p className="muted small">No older entries match.</p>
        ) : null}
      </section>
    </>
  );
}

export function AdminAuditPage() {
  const session = useSession();
  const signedOut = session.data?.authenticated === false;

  useEffect(() => {
    if (signedOut) leaveTo(loginUrl(RETURN_TO));
  }, [signedOut]);

  let body;
  if (session.isError) body = <QueryError error={session.error} onRetry={() => void session.refetch()} />;
  else if (!session.data?.authenticated) body = <Spinner label={signedOut ? 'Taking you to sign in…' : 'Loading…'} />;
  else body = <AuditLog />;

  return (
    <div className="page">
      <h1>Audit log</h1>
      <p className="lead">
        Who did what, newest first. Entries are hash-chained: each holds the hash of the one before it, so an edited or deleted entry breaks the chain. Run{' '}
        <code>portal audit verify</code> on the server to check the chain; it names the first bad entry. <code>portal audit export</code> writes the log as JSON
        lines.
      </p>
      {body}
    </div>
  );
}
