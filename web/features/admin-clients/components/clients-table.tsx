import { Button } from '../../../components/ui/button.tsx';
import type { PartnerClient } from '../api/get-clients.ts';

export interface ClientsTableProps {
  clients: PartnerClient[];
  /** Asks to delete: the page confirms first. */
  onDelete: (client: PartnerClient) => void;
  /** Asks for a new secret: the page confirms first. */
  onRotate: (client: PartnerClient) => void;
  /** An action is in flight: no second one starts. */
  busy: boolean;
}

/** A table on wide screens; each row stacks into a card on phones (labels from data-label, see styles.css). */
export function ClientsTable({ clients, onDelete, onRotate, busy }: ClientsTableProps) {
  return (
    <section className="card card--wide" aria-labelledby="clients-title">
      <h2 id="clients-title">Partner apps</h2>
      {clients.length === 0 ? (
        <p className="muted">No partner apps are registered yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack">
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
                  <td data-label="Client ID">
                    <code className="break">{client.clientId}</code>
                  </td>
                  <td data-label="Redirect URIs">
                    <ul className="plain-list">
                      {client.redirectUris.map((uri) => (
                        <li key={uri}>
                          <code className="break">{uri}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td data-label="Type">{client.public ? 'Public' : 'Confidential'}</td>
                  <td data-label="Scopes">
                    <ul className="tag-list">
                      {client.scopes.map((scope) => (
                        <li key={scope} className="tag">
                          {scope}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <div className="actions actions--tight">
                      {client.public ? null : (
                        <Button variant="secondary" aria-label={`Rotate the secret of ${client.name}`} onClick={() => onRotate(client)} disabled={busy}>
                          Rotate secret
                        </Button>
                      )}
                      <Button variant="danger" aria-label={`Delete ${client.name}`} onClick={() => onDelete(client)} disabled={busy}>
                        Delete
                      </Button>
                    </div>
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
