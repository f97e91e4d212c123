import { useEffect, useState } from 'react';
import { AdminPage, AdminRefusal } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
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
  const [asked, setAsked] = useState<AdminConnection | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);

  const status = isApiError(connections.error) ? connections.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(RETURN_TO));
  }, [status]);

  if (status === 403) return <AdminRefusal error={connections.error} what="identity providers" />;
  if (connections.isPending || status === 401) return <Spinner />;
  if (connections.isError) return <QueryError error={connections.error} onRetry={() => void connections.refetch()} />;

  return (
    <>
      {created ? (
        <Alert tone="success" title="Connection added">
          <p>People can now continue with {created} on the sign-in screen.</p>
        </Alert>
      ) : null}
      {deleted ? (
        <SuccessNotice title={`${deleted} was removed`} onDismiss={() => setDeleted(null)}>
          <p>People can no longer continue with {deleted} on the sign-in screen.</p>
        </SuccessNotice>
      ) : null}
      <ConnectionsTable
        connections={connections.data.connections}
        onDelete={(connection) => {
          remove.reset();
          setAsked(connection);
        }}
        busy={remove.isPending}
      />
      <ConfirmDialog
        open={asked !== null}
        title={asked ? `Remove ${asked.name}?` : ''}
        confirmLabel="Remove identity provider"
        pending={remove.isPending}
        error={remove.error?.message ?? null}
        onConfirm={() => {
          if (!asked) return;
          const { id, name } = asked;
          remove.mutate(id, {
            onSuccess: () => {
              setAsked(null);
              setCreated(null);
              setDeleted(name);
            },
          });
        }}
        onCancel={() => setAsked(null)}
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
              setDeleted(null);
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
