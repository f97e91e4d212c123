import { Button } from '../../../components/ui/button.tsx';
import type { PartnerClient } from '../api/get-clients.ts';

export interface ClientsTableProps {
  clients: PartnerClient[];
  /** Asks to delete: the page confirms first. */
  onDelete: (client: PartnerClient) => void;
  /** Asks for a new secret: the page confirms first. */
  onRotate: (client: PartnerClient) => void;
  /** Opens the form that changes the app's settings. */
  onEdit: (client: PartnerClient) => void;
  /** An action is in flight: no second one starts. */
  busy: boolean;
}

/** A table on wide screens; each row stacks into a card on phones (labels from data-label, see styles.css). */
/** The id of a row's Edit button: focus returns there when the form closes. */
export const editButtonId = (clientId: string) => `edit-${clientId}`;

function UriList({ uris }: { uris: string[] }) {
  if (uris.length === 0) return <span className="muted">None</span>;
  return (
    <ul className="plain-list">
      {uris.map((uri) => (
        <li key={uri}>
          <code className="break">{uri}</code>
        </li>
      ))}
    </ul>
  );
}

export function ClientsTable({ clients, onDelete, onRotate, onEdit, busy }: ClientsTableProps) {
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
                <th scope="col">Post-logout redirect URIs</th>
                <th scope="col">Sign-out notifications</th>
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
                    <UriList uris={client.redirectUris} />
                  </td>
                  <td data-label="Post-logout redirect URIs">
                    <UriList uris={client.postLogoutRedirectUris ?? []} />
                  </td>
                  <td data-label="Sign-out notifications">
                    <UriList uris={client.backchannelLogoutUri ? [client.backchannelLogoutUri] : []} />
                    {client.backchannelLogoutUri && client.backchannelLogoutSessionRequired ? <span className="muted">Names the session</span> : null}
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
                      <Button
                        variant="secondary"
                        id={editButtonId(client.clientId)}
                        aria-label={`Change ${client.name}`}
                        onClick={() => onEdit(client)}
                        disabled={busy}
                      >
                        Change
                      </Button>
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
