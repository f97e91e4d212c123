import { isoOf } from '../../../lib/time.ts';
import type { AuditEntry, People } from '../api/get-audit-log.ts';
import { detailPairs, formatAuditTime, personLabel } from '../lib/format.ts';
import { kindLabel } from '../lib/kinds.ts';

export interface AuditTableProps {
  entries: AuditEntry[];
  people: People;
}

function Details({ entry }: { entry: AuditEntry }) {
  const { plain, ids } = detailPairs(entry);
  const who = [entry.actorId && ['actor', entry.actorId], entry.subjectId && ['subject', entry.subjectId]].filter(Boolean) as [string, string][];
  return (
    <>
      {plain.map(({ key, label, value }) => (
        <div key={key}>
          {label}: {value}
        </div>
      ))}
      {/* Ids are for following a trail across systems: there when asked for, out of the way otherwise. */}
      <details className="audit-ids">
        <summary>Ids</summary>
        <div>
          kind: <code>{entry.kind}</code>
        </div>
        {[...who.map(([key, value]) => ({ key, value })), ...ids].map(({ key, value }) => (
          <div key={key}>
            {key}: <code>{value}</code>
          </div>
        ))}
      </details>
    </>
  );
}

/** A table on wide screens, a list of entries on phones (labels from data-label, see styles.css). */
export function AuditTable({ entries, people }: AuditTableProps) {
  return (
    // Focusable: when the table is wider than the screen, a keyboard can scroll it.
    <div className="table-wrap" role="region" aria-label="Audit log table" tabIndex={0}>
      <table className="table table--stack">
        <caption className="visually-hidden">Audit log entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">What</th>
            <th scope="col">Who</th>
            <th scope="col">About</th>
            <th scope="col">IP</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.seq}>
              <td className="muted" data-label="#">
                {entry.seq}
              </td>
              <td data-label="Time">
                <time dateTime={isoOf(entry.at)}>{formatAuditTime(entry.at)}</time>
              </td>
              <td data-label="What">{kindLabel(entry.kind)}</td>
              <td className="break" data-label="Who">
                {personLabel(entry.actorId, people, 'system')}
              </td>
              <td className="break" data-label="About">
                {personLabel(entry.subjectId, people, '—')}
              </td>
              <td title={entry.userAgent ?? undefined} data-label="IP">
                {entry.ip ?? '—'}
              </td>
              <td className="break small" data-label="Details">
                <Details entry={entry} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
