import { useState } from 'react';
import { AdminPage, useAdminQueryGate } from '../session/components/admin-page.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { useConfirmedRemoval } from '../../lib/use-confirmed-removal.ts';
import { useApiRoutes, useCreateApiRoute, useDeleteApiRoute, type ApiRoute } from './api/api-routes.ts';
import { CreateApiRouteForm } from './route-form.tsx';

const RETURN_TO = '/admin/api-routes';

function who(r: ApiRoute): string {
  if (r.anonymous) return 'Anyone';
  return r.requireRole === 'admin' ? 'Administrators' : r.requireRole === 'user' ? 'People without the administrator role' : 'Everyone signed in';
}

function RoutesTable({ routes, onDelete, busy }: { routes: ApiRoute[]; onDelete: (r: ApiRoute) => void; busy: boolean }) {
  return (
    <section className="card card--wide" aria-labelledby="routes-title">
      <h2 id="routes-title">Routes</h2>
      {routes.length === 0 ? (
        <p className="muted">No routes yet. Add one below so your app can call its API through the portal.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Upstream</th>
                <th scope="col">API</th>
                <th scope="col">Who</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {routes.map((r) => (
                <tr key={r.path}>
                  <th scope="row">
                    <code className="break">{r.path}</code>
                  </th>
                  <td data-label="Upstream">
                    <code className="break">{r.upstream}</code>
                  </td>
                  <td data-label="API">
                    {r.resource ? <code className="break">{`${r.resource} (${r.scopes.join(', ')})`}</code> : <span className="muted">no token</span>}
                  </td>
                  <td data-label="Who">{who(r)}</td>
                  <td>
                    <Button variant="danger" aria-label={`Remove ${r.path}`} onClick={() => onDelete(r)} disabled={busy}>
                      Remove
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

function ApiRoutesAdmin() {
  const routes = useApiRoutes();
  const create = useCreateApiRoute();
  const remove = useDeleteApiRoute();
  const removal = useConfirmedRemoval(
    remove,
    (r: ApiRoute) => r.path,
    (r) => r.path,
  );
  const [formKey, setFormKey] = useState(0);

  const loaded = useAdminQueryGate(routes, RETURN_TO, 'API routes');
  if (!loaded.ready) return loaded.view;

  return (
    <>
      {removal.removed ? (
        <SuccessNotice title={`${removal.removed} was removed`} onDismiss={removal.dismiss}>
          <p>Calls to it are answered “not found” now.</p>
        </SuccessNotice>
      ) : null}
      <RoutesTable routes={loaded.data.routes} onDelete={removal.ask} busy={remove.isPending} />
      <ConfirmDialog
        {...removal.dialog}
        title={removal.asked ? `Remove ${removal.asked.path}?` : ''}
        confirmLabel="Remove route"
        onConfirm={removal.confirm}
        onCancel={removal.cancel}
      >
        <p>Apps calling it through the portal get “not found” at once, on every instance.</p>
      </ConfirmDialog>
      <CreateApiRouteForm
        key={formKey}
        pending={create.isPending}
        error={create.error}
        onSubmit={(input) =>
          create.mutate(input, {
            onSuccess: () => {
              removal.dismiss();
              setFormKey((k) => k + 1);
              create.reset();
            },
          })
        }
      />
    </>
  );
}

export function AdminApiRoutesPage() {
  return (
    <AdminPage title="API routes (the portal as your BFF)" returnTo={RETURN_TO} what="API routes">
      <ApiRoutesAdmin />
    </AdminPage>
  );
}
