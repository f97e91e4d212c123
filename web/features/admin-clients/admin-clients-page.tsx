import { useEffect, useState } from 'react';
import { AdminPage, AdminRefusal } from '../../app/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { useCreateClient } from './api/create-client.ts';
import type { CreatedClient } from './api/create-client.ts';
import { useDeleteClient } from './api/delete-client.ts';
import { useClients } from './api/get-clients.ts';
import { useScopes } from './api/get-scopes.ts';
import { ClientSecretBox } from './components/client-secret-box.tsx';
import { ClientsTable } from './components/clients-table.tsx';
import { RegisterClientForm } from './components/register-client-form.tsx';

const RETURN_TO = '/admin/clients';

function ClientsAdmin() {
  const clients = useClients();
  const scopes = useScopes();
  const create = useCreateClient();
  const remove = useDeleteClient();
  const [created, setCreated] = useState<{ name: string; result: CreatedClient } | null>(null);
  const [formKey, setFormKey] = useState(0);

  const status = isApiError(clients.error) ? clients.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(RETURN_TO));
  }, [status]);

  if (status === 403) return <AdminRefusal error={clients.error} what="partner apps" />;
  if (clients.isPending || status === 401) return <Spinner />;
  if (clients.isError) return <QueryError error={clients.error} onRetry={() => void clients.refetch()} />;

  return (
    <>
      {created ? (
        <ClientSecretBox name={created.name} created={created.result} onDone={() => setCreated(null)} />
      ) : null}
      <ClientsTable
        clients={clients.data.clients}
        onDelete={(clientId) => remove.mutate(clientId)}
        deleting={remove.isPending ? (remove.variables ?? null) : null}
        error={remove.error}
      />
      {scopes.isError ? (
        <Alert tone="warning">The scope list could not be loaded; only openid can be chosen. {scopes.error.message}</Alert>
      ) : null}
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
