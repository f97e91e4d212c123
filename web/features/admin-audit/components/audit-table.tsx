import { isoOf } from '../../../lib/time.ts';
import type { AuditEntry, People } from '../api/get-audit-log.ts';
import { detailPairs, formatAuditTime, personLabel } from '../lib/format.ts';

export interface AuditTableProps {
  entries: AuditEntry[];
  people: People;
}

export function AuditTable({ entries, people }: AuditTableProps) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Audit log entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Kind</th>
            <th scope="col">Actor</th>
            <th scope="col">Subject</th>
            <th scope="col">IP</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.seq}>
              <td className="muted">{entry.seq}</td>
              <td>
                <time dateTime={isoOf(entry.at)}>{formatAuditTime(entry.at)}</time>
              </td>
              <td>
                <code>{entry.kind}</code>
              </td>
              <td className="break">{personLabel(entry.actorId, people, 'system')}</td>
              <td className="break">{personLabel(entry.subjectId, people, '—')}</td>
              <td title={entry.userAgent ?? undefined}>{entry.ip ?? '—'}</td>
              <td className="break small">
                {detailPairs(entry).map(({ key, value }) => (
                  <div key={key}>
                    {key}: {value}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
