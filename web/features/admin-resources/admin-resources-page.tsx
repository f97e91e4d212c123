import { useState } from 'react';
import { AdminPage, useAdminQueryGate } from '../session/components/admin-page.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { useConfirmedRemoval } from '../../lib/use-confirmed-removal.ts';
import { ClientSecretBox } from '../admin-clients/components/client-secret-box.tsx';
import { useCreateMachineClient, useCreateResource, useDeleteResource, useResources } from './api/resources.ts';
import type { ApiResource, MachineClientCreated } from './api/resources.ts';
import { CreateMachineClientForm, CreateResourceForm } from './components/resource-forms.tsx';

const RETURN_TO = '/admin/resources';

function ResourcesTable({ resources, onDelete, busy }: { resources: ApiResource[]; onDelete: (r: ApiResource) => void; busy: boolean }) {
  return (
    <section className="card card--wide" aria-labelledby="resources-title">
      <h2 id="resources-title">APIs</h2>
      {resources.length === 0 ? (
        <p className="muted">No APIs yet. Add one below, then register machine clients for it.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Identifier</th>
                <th scope="col">Scopes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {resources.map((r) => (
                <tr key={r.identifier}>
                  <th scope="row">{r.name}</th>
                  <td data-label="Identifier">
                    <code className="break">{r.identifier}</code>
                  </td>
                  <td data-label="Scopes">{r.scopes.length ? r.scopes.join(', ') : <span className="muted">none</span>}</td>
                  <td>
                    <Button variant="danger" aria-label={`Delete ${r.name}`} onClick={() => onDelete(r)} disabled={busy}>
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

function ResourcesAdmin() {
  const resources = useResources();
  const create = useCreateResource();
  const remove = useDeleteResource();
  const machine = useCreateMachineClient();
  const removal = useConfirmedRemoval(
    remove,
    (r: ApiResource) => r.identifier,
    (r) => r.name,
  );
  const [registered, setRegistered] = useState<MachineClientCreated | null>(null);
  const [formKeys, setFormKeys] = useState({ resource: 0, machine: 0 });

  const loaded = useAdminQueryGate(resources, RETURN_TO, 'APIs');
  if (!loaded.ready) return loaded.view;

  return (
    <>
      {removal.removed ? (
        <SuccessNotice title={`${removal.removed} was removed`} onDismiss={removal.dismiss}>
          <p>Machine clients can no longer get tokens for it.</p>
        </SuccessNotice>
      ) : null}
      {registered ? (
        <ClientSecretBox
          name={registered.client.name}
          created={{ clientId: registered.client.clientId, clientSecret: registered.clientSecret }}
          onDone={() => setRegistered(null)}
        />
      ) : null}
      <ResourcesTable resources={loaded.data.resources} onDelete={removal.ask} busy={remove.isPending} />
      <ConfirmDialog
        {...removal.dialog}
        title={removal.asked ? `Remove ${removal.asked.name}?` : ''}
        confirmLabel="Remove API"
        onConfirm={removal.confirm}
        onCancel={removal.cancel}
      >
        <p>Machine clients can no longer get new tokens for it. Tokens already issued last until they expire.</p>
      </ConfirmDialog>
      <CreateResourceForm
        key={`r${formKeys.resource}`}
        pending={create.isPending}
        error={create.error}
        onSubmit={(input) =>
          create.mutate(input, {
            onSuccess: () => {
              removal.dismiss();
              setFormKeys((k) => ({ ...k, resource: k.resource + 1 }));
              create.reset();
            },
          })
        }
      />
      <CreateMachineClientForm
        key={`m${formKeys.machine}`}
        pending={machine.isPending}
        error={machine.error}
        onSubmit={(input) =>
          machine.mutate(input, {
            onSuccess: (result) => {
              setRegistered(result);
              setFormKeys((k) => ({ ...k, machine: k.machine + 1 }));
              machine.reset();
            },
          })
        }
      />
    </>
  );
}

export function AdminResourcesPage() {
  return (
    <AdminPage title="APIs for machine clients" returnTo={RETURN_TO} what="APIs">
      <ResourcesAdmin />
    </AdminPage>
  );
}
