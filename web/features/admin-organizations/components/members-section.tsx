import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { StackTable } from '../../../components/ui/stack-table.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { useAddMember, useChangeRole, useRemoveMember, type Member } from '../api/organizations.ts';
import { RoleSelect, roleLabel } from './role-select.tsx';

function MemberRow({ orgId, member, onRemove }: { orgId: string; member: Member; onRemove: () => void }) {
  const change = useChangeRole(orgId);
  const [role, setRole] = useState(member.role);
  return (
    <tr>
      <th scope="row">
        {member.name || member.email}
        {member.name ? <span className="muted"> · {member.email}</span> : null}
      </th>
      <td data-label="Role">
        <div className="actions actions--tight">
          <RoleSelect label={`Role of ${member.email}`} value={role} onChange={setRole} />
          <Button
            variant="secondary"
            disabled={role === member.role}
            pending={change.isPending}
            onClick={() => change.mutate({ userId: member.userId, role, expectedRole: member.role })}
          >
            Change role
          </Button>
        </div>
        {change.error ? <Alert tone="error">{change.error.message}</Alert> : null}
      </td>
      <td>
        <Button variant="danger" aria-label={`Remove ${member.email}`} onClick={onRemove}>
          Remove
        </Button>
      </td>
    </tr>
  );
}

function AddMemberForm({ orgId }: { orgId: string }) {
  const add = useAddMember(orgId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const [added, setAdded] = useState<string | null>(null);
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAdded(null);
    add.mutate({ email: email.trim(), role }, { onSuccess: () => (setAdded(email.trim()), setEmail('')), onError: failed });
  }
  return (
    <form className="stack" onSubmit={submit} noValidate ref={formRef} aria-labelledby="add-member-title">
      <h3 id="add-member-title">Add someone who has an account</h3>
      {added ? <SuccessNotice title={`${added} was added`} onDismiss={() => setAdded(null)} /> : null}
      {add.error ? <Alert tone="error">{add.error.message}</Alert> : null}
      <TextField label="Email" name="email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
      <RoleSelect label="Role" value={role} onChange={setRole} />
      <div className="actions">
        <Button type="submit" pending={add.isPending}>
          Add member
        </Button>
      </div>
    </form>
  );
}

export function MembersSection({ orgId, members }: { orgId: string; members: Member[] }) {
  const remove = useRemoveMember(orgId);
  const [asked, setAsked] = useState<Member | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  return (
    <section className="card card--wide stack" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {removed ? <SuccessNotice title={`${removed} was removed`} onDismiss={() => setRemoved(null)} /> : null}
      {members.length === 0 ? (
        <p className="muted">No members yet.</p>
      ) : (
        <StackTable columns={['Person', 'Role']} actions>
          {members.map((m) => (
            <MemberRow key={`${m.userId}:${m.role}`} orgId={orgId} member={m} onRemove={() => (remove.reset(), setAsked(m))} />
          ))}
        </StackTable>
      )}
      <ConfirmDialog
        open={asked !== null}
        title={asked ? `Remove ${asked.email}?` : ''}
        confirmLabel="Remove member"
        pending={remove.isPending}
        error={remove.error?.message ?? null}
        onConfirm={() => asked && remove.mutate(asked.userId, { onSuccess: () => (setRemoved(asked.email), setAsked(null)) })}
        onCancel={() => setAsked(null)}
      >
        <p>They lose their {asked ? roleLabel(asked.role).toLowerCase() : ''} role in this organization at their next token refresh.</p>
      </ConfirmDialog>
      <AddMemberForm orgId={orgId} />
    </section>
  );
}
