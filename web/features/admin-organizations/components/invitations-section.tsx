import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { StackTable } from '../../../components/ui/stack-table.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { formatDateTime } from '../../../lib/time.ts';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { useInvite, useResendInvitation, useRevokeInvitation, type InvitationStatus, type OrgInvitation, type SentInvitation } from '../api/organizations.ts';
import { RoleSelect, roleLabel } from './role-select.tsx';

const STATUS: Record<InvitationStatus, string> = { pending: 'Waiting', accepted: 'Accepted', revoked: 'Revoked', expired: 'Expired' };

/** The token of a new invitation, shown once (only its hash is kept). */
function SentNotice({ sent, onDismiss }: { sent: SentInvitation; onDismiss: () => void }) {
  return (
    <SuccessNotice title={`Invitation sent to ${sent.invitation.email}`} onDismiss={onDismiss}>
      <p>
        {sent.accountMailQueued
          ? 'They have no password yet, so they were mailed a link to set one.'
          : 'They already have an account: the partner app redeems the invitation at their next sign-in.'}{' '}
        The invitation token, shown only now:
      </p>
      <p>
        <code className="break">{sent.token}</code>
      </p>
    </SuccessNotice>
  );
}

function InviteForm({ orgId, onSent }: { orgId: string; onSent: (s: SentInvitation) => void }) {
  const invite = useInvite(orgId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), role },
      {
        onSuccess: (sent) => {
          setEmail('');
          onSent(sent);
        },
        onError: failed,
      },
    );
  }
  return (
    <form className="stack" onSubmit={submit} noValidate ref={formRef} aria-labelledby="invite-title">
      <h3 id="invite-title">Invite by email</h3>
      {invite.error && !invite.error.fields?.email ? <Alert tone="error">{invite.error.message}</Alert> : null}
      <TextField
        label="Email to invite"
        name="email"
        type="email"
        autoComplete="off"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={invite.error?.fields?.email}
      />
      <RoleSelect label="Role when they join" value={role} onChange={setRole} />
      <div className="actions">
        <Button type="submit" pending={invite.isPending}>
          Send invitation
        </Button>
      </div>
    </form>
  );
}

export function InvitationsSection({ orgId, invitations }: { orgId: string; invitations: OrgInvitation[] }) {
  const resend = useResendInvitation(orgId);
  const revoke = useRevokeInvitation(orgId);
  const [sent, setSent] = useState<SentInvitation | null>(null);
  const [asked, setAsked] = useState<OrgInvitation | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const show = (s: SentInvitation) => {
    setRevoked(null);
    setSent(s);
  };
  return (
    <section className="card card--wide stack" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      {sent ? <SentNotice sent={sent} onDismiss={() => setSent(null)} /> : null}
      {revoked ? <SuccessNotice title={`The invitation to ${revoked} was revoked`} onDismiss={() => setRevoked(null)} /> : null}
      {resend.error ? <Alert tone="error">{resend.error.message}</Alert> : null}
      {invitations.length === 0 ? (
        <p className="muted">No invitations sent yet.</p>
      ) : (
        <StackTable columns={['Email', 'Role', 'Status', 'Sent']} actions>
          {invitations.map((i) => (
            <tr key={i.id}>
              <th scope="row">{i.email}</th>
              <td data-label="Role">{roleLabel(i.role)}</td>
              <td data-label="Status">{STATUS[i.status]}</td>
              <td data-label="Sent">{formatDateTime(i.createdAt)}</td>
              <td>
                {i.status !== 'accepted' ? (
                  <div className="actions actions--tight">
                    <Button
                      variant="secondary"
                      aria-label={`Resend the invitation to ${i.email}`}
                      pending={resend.isPending && resend.variables === i.id}
                      onClick={() => resend.mutate(i.id, { onSuccess: show })}
                    >
                      Resend
                    </Button>
                    {i.status === 'pending' ? (
                      <Button variant="danger" aria-label={`Revoke the invitation to ${i.email}`} onClick={() => (revoke.reset(), setAsked(i))}>
                        Revoke
                      </Button>
                    ) : null}
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </StackTable>
      )}
      <ConfirmDialog
        open={asked !== null}
        title={asked ? `Revoke the invitation to ${asked.email}?` : ''}
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        error={revoke.error?.message ?? null}
        onConfirm={() =>
          asked &&
          revoke.mutate(asked.id, {
            onSuccess: () => {
              setSent(null);
              setRevoked(asked.email);
              setAsked(null);
            },
          })
        }
        onCancel={() => setAsked(null)}
      >
        <p>Its token stops working at once. You can send a new invitation later.</p>
      </ConfirmDialog>
      <InviteForm orgId={orgId} onSent={show} />
    </section>
  );
}
