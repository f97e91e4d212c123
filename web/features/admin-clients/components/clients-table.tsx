import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { PartnerClient } from '../api/get-clients.ts';

export interface ClientsTableProps {
  clients: PartnerClient[];
  onDelete: (clientId: string) => void;
  deleting: string | null;
  error: ApiError | null;
}

export function ClientsTable({ clients, onDelete, deleting, error }: ClientsTableProps) {
  return (
    <section className="card card--wide" aria-labelledby="clients-title">
      <h2 id="clients-title">Partner apps</h2>
      {error ? <Alert tone="error">{error.message}</Alert> : null}
      {clients.length === 0 ? (
        <p className="muted">No partner apps are registered yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client ID</th>
                <th scope="col">Redirect URIs</th>
                <th scope="col">Type</th>
                <th scope="col">Scopes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {clients.map((client) => (
                <tr key={client.clientId}>
                  <th scope="row">{client.name}</th>
                  <td>
                    <code className="break">{client.clientId}</code>
                  </td>
                  <td>
                    <ul className="plain-list">
                      {client.redirectUris.map((uri) => (
                        <li key={uri}>
                          <code className="break">{uri}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>{client.public ? 'Public' : 'Confidential'}</td>
                  <td>
                    <ul className="tag-list">
                      {client.scopes.map((scope) => (
                        <li key={scope} className="tag">
                          {scope}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <Button
                      variant="danger"
                      aria-label={`Delete ${client.name}`}
                      onClick={() => onDelete(client.clientId)}
                      pending={deleting === client.clientId}
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
