import { formatDateTime, isoOf } from '../../../lib/time.ts';
import type { ImpersonationRecord } from '../api/get-account.ts';

export function ImpersonationHistory({ records }: { records: ImpersonationRecord[] }) {
  if (records.length === 0) return null;
  return (
    <section className="card card--wide" aria-labelledby="impersonation-title">
      <h2 id="impersonation-title">Impersonation history</h2>
      <p className="muted">Times an administrator acted as you, and why.</p>
      <ul className="history">
        {records.map((record, index) => (
          <li key={`${String(record.at)}-${index}`} className="history__item">
            <p>
              <strong>{record.admin.name || record.admin.email}</strong>
              {record.admin.name ? <span className="muted"> ({record.admin.email})</span> : null}
            </p>
            <p className="muted small">
              <time dateTime={isoOf(record.at)}>{formatDateTime(record.at)}</time>
              {' · '}
              {record.durationMinutes} {record.durationMinutes === 1 ? 'minute' : 'minutes'}
            </p>
            <p>Reason: {record.reason}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
