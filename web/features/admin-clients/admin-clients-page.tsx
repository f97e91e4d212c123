import { useState } from 'react';
import { AdminPage, useAdminQueryGate } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { useCreateClient } from './api/create-client.ts';
import type { CreatedClient } from './api/create-client.ts';
import { useDeleteClient } from './api/delete-client.ts';
import { useClients } from './api/get-clients.ts';
import type { PartnerClient } from './api/get-clients.ts';
import { useRotateSecret } from './api/rotate-secret.ts';
import { useScopes } from './api/get-scopes.ts';
import { ClientSecretBox } from './components/client-secret-box.tsx';
import { ClientsTable, editButtonId } from './components/clients-table.tsx';
import { EditClientForm } from './components/edit-client-form.tsx';
import { useUpdateClient } from './api/update-client.ts';
import { RegisterClientForm } from './components/register-client-form.tsx';

const RETURN_TO = '/admin/clients';

type Asked = { action: 'delete' | 'rotate'; client: PartnerClient };

const QUESTIONS = {
  delete: {
    title: (name: string) => `Delete ${name}?`,
    body: 'Every sign-in through this partner app stops working at once, and its tokens are no longer accepted. This cannot be undone.',
    confirm: 'Delete partner app',
  },
  rotate: {
    title: (name: string) => `Rotate the secret of ${name}?`,
    body: 'The current secret stops working at once: the partner app cannot get tokens until it is given the new one.',
    confirm: 'Rotate secret',
  },
};

function ClientsAdmin() {
  const clients = useClients();
  const scopes = useScopes();
  const create = useCreateClient();
  const remove = useDeleteClient();
  const rotate = useRotateSecret();
  const [created, setCreated] = useState<{ name: string; result: CreatedClient; rotated?: boolean } | null>(null);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);
  const update = useUpdateClient();
  const [editing, setEditing] = useState<PartnerClient | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const loaded = useAdminQueryGate(clients, RETURN_TO, 'partner apps');
  if (!loaded.ready) return loaded.view;

  const running = asked?.action === 'rotate' ? rotate : remove;

  function ask(action: Asked['action'], client: PartnerClient) {
    remove.reset();
    rotate.reset();
    setAsked({ action, client });
  }

  function confirm() {
    if (!asked) return;
    const { client } = asked;
    if (asked.action === 'delete') {
      remove.mutate(client.clientId, {
        onSuccess: () => {
          setAsked(null);
          setCreated(null);
          setDeleted(client.name);
        },
      });
    } else {
      rotate.mutate(client.clientId, {
        onSuccess: (result) => {
          setAsked(null);
          setDeleted(null);
          setCreated({ name: client.name, result, rotated: true });
        },
      });
    }
  }

  const question = asked ? QUESTIONS[asked.action] : null;

  function edit(client: PartnerClient) {
    update.reset();
    setSaved(null);
    setEditing(client);
  }

  function closeEditor(client: PartnerClient) {
    setEditing(null);
    // Back to the row's button, as a dialog returns focus to what opened it.
    requestAnimationFrame(() => document.getElementById(editButtonId(client.clientId))?.focus());
  }

  return (
    <>
      {deleted ? (
        <SuccessNotice title={`${deleted} was deleted`} onDismiss={() => setDeleted(null)}>
          <p>Its sign-ins and tokens no longer work.</p>
        </SuccessNotice>
      ) : null}
      {saved ? (
        <SuccessNotice title={`Changes to ${saved} were saved`} onDismiss={() => setSaved(null)}>
          <p>They apply to the app's next request.</p>
        </SuccessNotice>
      ) : null}
      {editing ? (
        <EditClientForm
          key={editing.clientId}
          client={editing}
          pending={update.isPending}
          error={update.error}
          onCancel={() => closeEditor(editing)}
          onSubmit={(changes) =>
            update.mutate(
              { clientId: editing.clientId, changes },
              {
                onSuccess: ({ client }) => {
                  setEditing(null);
                  setSaved(client.name);
                },
              },
            )
          }
        />
      ) : null}
      {created ? (
        <ClientSecretBox
          key={`${created.result.clientId}:${created.rotated ? created.result.clientSecret : 'new'}`}
          name={created.name}
          created={created.result}
          title={created.rotated ? `${created.name} has a new secret` : undefined}
          onDone={() => setCreated(null)}
        />
      ) : null}
      <ClientsTable
        clients={loaded.data.clients}
        onDelete={(client) => ask('delete', client)}
        onRotate={(client) => ask('rotate', client)}
        onEdit={edit}
        busy={remove.isPending || rotate.isPending}
      />
      <ConfirmDialog
        open={asked !== null}
        title={asked && question ? question.title(asked.client.name) : ''}
        confirmLabel={question?.confirm ?? ''}
        pending={running.isPending}
        error={running.error?.message ?? null}
        onConfirm={confirm}
        onCancel={() => setAsked(null)}
      >
        {question ? <p>{question.body}</p> : null}
      </ConfirmDialog>
      {scopes.isError ? <Alert tone="warning">The scope list could not be loaded; only openid can be chosen. {scopes.error.message}</Alert> : null}
      {scopes.isPending ? (
        <Spinner label="Loading scopes…" />
      ) : (
        <RegisterClientForm
          key={formKey}
          catalogue={scopes.data?.scopes ?? []}
          pending={create.isPending}
          error={create.error}
          onSubmit={(input) =>
            create.mutate(input, {
              onSuccess: (result) => {
                setDeleted(null);
                setCreated({ name: input.name, result });
                setFormKey((key) => key + 1);
                create.reset();
              },
            })
          }
        />
      )}
    </>
  );
}

export function AdminClientsPage() {
  return (
    <AdminPage title="Partner apps" returnTo={RETURN_TO} what="partner apps">
      <ClientsAdmin />
    </AdminPage>
  );
}
