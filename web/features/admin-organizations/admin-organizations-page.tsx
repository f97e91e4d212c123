import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { AdminPage } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { TextField } from '../../components/ui/field.tsx';
import { StackTable } from '../../components/ui/stack-table.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { formatDate } from '../../lib/time.ts';
import { hasCode } from '../../lib/api-client.ts';
import { useFocusFirstError } from '../../lib/use-focus-first-error.ts';
import { useCreateOrganization, useOrganizations } from './api/organizations.ts';
import { useAdminQueryGate } from '../session/components/use-admin-query-gate.tsx';

const RETURN_TO = '/admin/organizations';

function CreateOrganizationForm() {
  const create = useCreateOrganization();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ id: string; name: string } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated(null);
    if (!name.trim()) {
      setLocalError('Give the organization a name.');
      failed();
      return;
    }
    setLocalError(null);
    create.mutate(name.trim(), {
      onSuccess: ({ organization }) => {
        setCreated(organization);
        setName('');
      },
      onError: failed,
    });
  }

  const fieldError = localError ?? create.error?.fields?.name ?? (hasCode(create.error, 'organization_exists') ? create.error.message : undefined);
  return (
    <section className="card card--wide" aria-labelledby="create-org-title">
      <h2 id="create-org-title">Create an organization</h2>
      {created ? (
        <SuccessNotice title={`${created.name} was created`} onDismiss={() => setCreated(null)}>
          <p>
            <Link to={`/admin/organizations/${encodeURIComponent(created.id)}`}>Open {created.name}</Link> to add members or send invitations.
          </p>
        </SuccessNotice>
      ) : null}
      <form className="stack" onSubmit={submit} noValidate ref={formRef}>
        {create.error && !fieldError ? <Alert tone="error">{create.error.message}</Alert> : null}
        <TextField label="Name" name="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={fieldError} />
        <div className="actions">
          <Button type="submit" pending={create.isPending}>
            Create organization
          </Button>
        </div>
      </form>
    </section>
  );
}

function OrganizationsAdmin() {
  const orgs = useOrganizations();
  const gate = useAdminQueryGate(orgs, RETURN_TO, 'organizations');
  if (gate || !orgs.data) return gate;
  const list = orgs.data.organizations;
  return (
    <>
      <section className="card card--wide" aria-labelledby="orgs-title">
        <h2 id="orgs-title">Organizations</h2>
        {list.length === 0 ? (
          <p className="muted">No organizations yet.</p>
        ) : (
          <StackTable columns={['Name', 'Created']}>
            {list.map((o) => (
              <tr key={o.id}>
                <th scope="row">
                  <Link to={`/admin/organizations/${encodeURIComponent(o.id)}`}>{o.name}</Link>
                </th>
                <td data-label="Created">{formatDate(o.createdAt)}</td>
              </tr>
            ))}
          </StackTable>
        )}
      </section>
      <CreateOrganizationForm />
    </>
  );
}

export function AdminOrganizationsPage() {
  return (
    <AdminPage title="Organizations" returnTo={RETURN_TO} what="organizations">
      <OrganizationsAdmin />
    </AdminPage>
  );
}
