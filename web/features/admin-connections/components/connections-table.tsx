import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { AdminConnection } from '../api/get-connections.ts';

export interface ConnectionsTableProps {
  connections: AdminConnection[];
  onDelete: (id: string) => void;
  deleting: string | null;
  error: ApiError | null;
}

export function ConnectionsTable({ connections, onDelete, deleting, error }: ConnectionsTableProps) {
  return (
    <section className="card card--wide" aria-labelledby="connections-title">
      <h2 id="connections-title">Connections</h2>
      {error ? <Alert tone="error">{error.message}</Alert> : null}
      {connections.length === 0 ? (
        <p className="muted">No identity providers are connected yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
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
                  <td>{c.kind === 'sso' ? `Organization SSO (${c.orgId})` : 'Social'}</td>
                  <td>
                    <code className="break">{c.issuer}</code>
                  </td>
                  <td>
                    <code className="break">{c.clientId}</code>
                  </td>
                  <td>{c.domains.length ? c.domains.join(', ') : <span className="muted">none</span>}</td>
                  <td>
                    <Button
                      variant="danger"
                      aria-label={`Delete ${c.name}`}
                      onClick={() => onDelete(c.id)}
                      pending={deleting === c.id}
                      disabled={deleting !== null}
                    >
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
