import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { AdminPage } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/confirm-dialog.tsx';
import { TextField } from '../../components/ui/field.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { useFocusFirstError } from '../../lib/use-focus-first-error.ts';
import { useDeleteOrganization, useOrganization, useRenameOrganization, type OrganizationDetail } from './api/organizations.ts';
import { InvitationsSection } from './components/invitations-section.tsx';
import { MembersSection } from './components/members-section.tsx';
import { useAdminQueryGate } from '../session/components/use-admin-query-gate.tsx';

function RenameForm({ detail }: { detail: OrganizationDetail }) {
  const { organization } = detail;
  const rename = useRenameOrganization(organization.id);
  const [name, setName] = useState(organization.name);
  const [done, setDone] = useState(false);
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone(false);
    rename.mutate({ name: name.trim(), updatedAt: organization.updatedAt }, { onSuccess: () => setDone(true), onError: failed });
  }
  return (
    <form className="stack" onSubmit={submit} noValidate ref={formRef} aria-labelledby="rename-title">
      <h2 id="rename-title">Name</h2>
      {done ? <SuccessNotice title="The organization was renamed" onDismiss={() => setDone(false)} /> : null}
      {rename.error && !rename.error.fields?.name ? <Alert tone="error">{rename.error.message}</Alert> : null}
      <TextField
        label="Organization name"
        name="name"
        maxLength={100}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={rename.error?.fields?.name}
      />
      <div className="actions">
        <Button type="submit" pending={rename.isPending} disabled={name.trim() === organization.name}>
          Rename
        </Button>
      </div>
    </form>
  );
}

function DeleteOrganization({ detail }: { detail: OrganizationDetail }) {
  const { organization } = detail;
  const remove = useDeleteOrganization(organization.id);
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [mismatch, setMismatch] = useState<string | null>(null);
  function confirm() {
    if (typed.trim() !== organization.name) {
      setMismatch(`Type ${organization.name} exactly to delete it.`);
      return;
    }
    remove.mutate({ confirmName: typed.trim(), updatedAt: organization.updatedAt }, { onSuccess: () => void navigate('/admin/organizations') });
  }
  return (
    <section className="stack" aria-labelledby="delete-org-title">
      <h2 id="delete-org-title">Delete</h2>
      <p>Deleting removes every membership and invitation of {organization.name}. Its identity providers must be removed first.</p>
      <div className="actions">
        <Button
          variant="danger"
          onClick={() => {
            remove.reset();
            setTyped('');
            setMismatch(null);
            setOpen(true);
          }}
        >
          Delete organization
        </Button>
      </div>
      <ConfirmDialog
        open={open}
        title={`Delete ${organization.name}?`}
        confirmLabel="Delete organization"
        pending={remove.isPending}
        error={mismatch ?? remove.error?.message ?? null}
        onConfirm={confirm}
        onCancel={() => setOpen(false)}
      >
        <p>This cannot be undone. Members keep their accounts.</p>
        <TextField
          label={`Type ${organization.name} to confirm`}
          name="confirmName"
          autoComplete="off"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
      </ConfirmDialog>
    </section>
  );
}

function Connections({ detail }: { detail: OrganizationDetail }) {
  return (
    <section className="card card--wide stack" aria-labelledby="org-connections-title">
      <h2 id="org-connections-title">Domains and identity providers</h2>
      {detail.connections.length === 0 ? (
        <p className="muted">No identity provider belongs to this organization.</p>
      ) : (
        <ul>
          {detail.connections.map((c) => (
            <li key={c.id}>
              {c.name}: {c.domains.length ? c.domains.join(', ') : 'no domains'}
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/admin/connections">Manage identity providers</Link>
      </p>
    </section>
  );
}

function OrganizationAdmin({ orgId, returnTo }: { orgId: string; returnTo: string }) {
  const query = useOrganization(orgId);
  const gate = useAdminQueryGate(query, returnTo, 'organizations');
  if (gate || !query.data) return gate;
  const detail = query.data;
  return (
    <>
      <p>
        <Link to="/admin/organizations">All organizations</Link>
      </p>
      <section className="card card--wide stack" aria-label={`About ${detail.organization.name}`}>
        <RenameForm detail={detail} />
        <DeleteOrganization detail={detail} />
      </section>
      <MembersSection orgId={orgId} members={detail.members} />
      <InvitationsSection orgId={orgId} invitations={detail.invitations} />
      <Connections detail={detail} />
    </>
  );
}

export function OrganizationPage() {
  const orgId = useParams().orgId ?? '';
  const returnTo = `/admin/organizations/${encodeURIComponent(orgId)}`;
  return (
    <AdminPage title="Organization" returnTo={returnTo} what="organizations">
      <OrganizationAdmin orgId={orgId} returnTo={returnTo} />
    </AdminPage>
  );
}
