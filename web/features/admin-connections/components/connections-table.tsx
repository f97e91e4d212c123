import { Button } from '../../../components/ui/button.tsx';
import type { AdminConnection } from '../api/get-connections.ts';

export interface ConnectionsTableProps {
  connections: AdminConnection[];
  /** Asks to delete: the page confirms first. */
  onDelete: (connection: AdminConnection) => void;
  /** A deletion is in flight: no second one starts. */
  busy: boolean;
}

/** A table on wide screens; each row stacks into a card on phones (labels from data-label, see styles.css). */
export function ConnectionsTable({ connections, onDelete, busy }: ConnectionsTableProps) {
  return (
    <section className="card card--wide" aria-labelledby="connections-title">
      <h2 id="connections-title">Connections</h2>
      {connections.length === 0 ? (
        <p className="muted">No identity providers are connected yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Issuer</th>
                <th scope="col">Client ID</th>
                <th scope="col">Domains</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {connections.map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.name}</th>
                  <td data-label="Type">{c.kind === 'sso' ? `Organization SSO (${c.orgId})` : 'Social'}</td>
                  <td data-label="Issuer">
                    <code className="break">{c.issuer}</code>
                  </td>
                  <td data-label="Client ID">
                    <code className="break">{c.clientId}</code>
                  </td>
                  <td data-label="Domains">{c.domains.length ? c.domains.join(', ') : <span className="muted">none</span>}</td>
                  <td>
                    <Button variant="danger" aria-label={`Delete ${c.name}`} onClick={() => onDelete(c)} disabled={busy}>
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
