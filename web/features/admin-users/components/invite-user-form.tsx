import { useState, type FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { useInviteUser } from '../api/users.ts';

/** Creates an account by invitation: the person gets the invitation mail and chooses their password. */
export function InviteUserForm() {
  const invite = useInviteUser();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const fields = invite.error?.fields ?? {};
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), name: name.trim() || undefined },
      {
        onSuccess: () => {
          setEmail('');
          setName('');
        },
        onError: failed,
      },
    );
  }
  return (
    <section className="card card--wide" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a person</h2>
      {invite.isSuccess ? <SuccessNotice title={`Invitation sent to ${invite.data.user.email}.`} onDismiss={() => invite.reset()} /> : null}
      <form className="stack" onSubmit={submit} ref={formRef} noValidate>
        {invite.error && !fields.email ? <Alert tone="error">{invite.error.message}</Alert> : null}
        <TextField label="Email" name="email" type="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} error={fields.email} hint="They get a mail with a link to choose their password (valid 7 days)." />
        <TextField label="Name (optional)" name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
        <div className="actions">
          <Button type="submit" pending={invite.isPending}>
            Send invitation
          </Button>
        </div>
      </form>
    </section>
  );
}
