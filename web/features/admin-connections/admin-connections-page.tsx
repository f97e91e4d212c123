import { useState } from 'react';
import { AdminPage, useAdminQueryGate } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { useConfirmedRemoval } from '../../lib/use-confirmed-removal.ts';
import { useCreateConnection } from './api/create-connection.ts';
import { useDeleteConnection } from './api/delete-connection.ts';
import { useConnections } from './api/get-connections.ts';
import type { AdminConnection } from './api/get-connections.ts';
import { ConnectionsTable } from './components/connections-table.tsx';
import { CreateConnectionForm } from './components/create-connection-form.tsx';

const RETURN_TO = '/admin/connections';

function ConnectionsAdmin() {
  const connections = useConnections();
  const create = useCreateConnection();
  const remove = useDeleteConnection();
  const [created, setCreated] = useState<string | null>(null);
  const removal = useConfirmedRemoval(
    remove,
    (c: AdminConnection) => c.id,
    (c) => c.name,
    () => setCreated(null),
  );
  const [formKey, setFormKey] = useState(0);

  const loaded = useAdminQueryGate(connections, RETURN_TO, 'identity providers');
  if (!loaded.ready) return loaded.view;

  return (
    <>
      {created ? (
        <Alert tone="success" title="Connection added">
          <p>People can now continue with {created} on the sign-in screen.</p>
        </Alert>
      ) : null}
      {removal.removed ? (
        <SuccessNotice title={`${removal.removed} was removed`} onDismiss={removal.dismiss}>
          <p>People can no longer continue with {removal.removed} on the sign-in screen.</p>
        </SuccessNotice>
      ) : null}
      <ConnectionsTable connections={loaded.data.connections} onDelete={removal.ask} busy={remove.isPending} />
      <ConfirmDialog
        {...removal.dialog}
        title={removal.asked ? `Remove ${removal.asked.name}?` : ''}
        confirmLabel="Remove identity provider"
        onConfirm={removal.confirm}
        onCancel={removal.cancel}
      >
        <p>People who sign in with it can no longer do so, and accounts linked only through it lose that way in.</p>
      </ConfirmDialog>
      <CreateConnectionForm
        key={formKey}
        pending={create.isPending}
        error={create.error}
        onSubmit={(input) =>
          create.mutate(input, {
            onSuccess: ({ connection }) => {
              removal.dismiss();
              setCreated(connection.name);
              setFormKey((k) => k + 1);
              create.reset();
            },
          })
        }
      />
    </>
  );
}

export function AdminConnectionsPage() {
  return (
    <AdminPage title="Identity providers" returnTo={RETURN_TO} what="identity providers">
      <ConnectionsAdmin />
    </AdminPage>
  );
}
