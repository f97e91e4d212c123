import { useId, useState, type FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { PASSWORD_MIN } from '../../../../api/passwords.ts';
import { useInviteUser } from '../api/users.ts';

type How = 'invite' | 'password';

/**
 * Adds a person: by invitation (the mail's link lets them choose their password), or with an
 * initial password the administrator passes on, which the person must change at their first sign-in.
 */
export function InviteUserForm() {
  const invite = useInviteUser();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [how, setHow] = useState<How>('invite');
  const [password, setPassword] = useState('');
  const fields = invite.error?.fields ?? {};
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  const id = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), name: name.trim() || undefined, ...(how === 'password' ? { initialPassword: password } : {}) },
      {
        onSuccess: () => {
          setEmail('');
          setName('');
          setPassword('');
        },
        onError: failed,
      },
    );
  }
  const done = invite.data
    ? invite.data.user.mustChangePassword
      ? `Account created for ${invite.data.user.email}. Give them the initial password; they choose their own at their first sign-in.`
      : `Invitation sent to ${invite.data.user.email}.`
    : '';
  return (
    <section className="card card--wide" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a person</h2>
      {invite.isSuccess ? <SuccessNotice title={done} onDismiss={() => invite.reset()} /> : null}
      <form className="stack" onSubmit={submit} ref={formRef} noValidate>
        {invite.error && !fields.email && !fields.password ? <Alert tone="error">{invite.error.message}</Alert> : null}
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="off"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fields.email}
        />
        <TextField label="Name (optional)" name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
        <fieldset className="field">
          <legend className="field__label">How they get in</legend>
          <div className="checkbox">
            <input id={`${id}-invite`} type="radio" name="how" value="invite" checked={how === 'invite'} onChange={() => setHow('invite')} />
            <label htmlFor={`${id}-invite`}>Send an invitation by email (a link to choose their password, valid 7 days)</label>
          </div>
          <div className="checkbox">
            <input id={`${id}-password`} type="radio" name="how" value="password" checked={how === 'password'} onChange={() => setHow('password')} />
            <label htmlFor={`${id}-password`}>Set an initial password that they must change at their first sign-in</label>
          </div>
        </fieldset>
        {how === 'password' ? (
          <TextField
            label="Initial password"
            name="initialPassword"
            type="password"
            autoComplete="new-password"
            required
            hint={`At least ${PASSWORD_MIN} characters. Pass it on privately; it works only until they choose their own.`}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fields.password}
          />
        ) : null}
        <div className="actions">
          <Button type="submit" pending={invite.isPending}>
            {how === 'password' ? 'Create account' : 'Send invitation'}
          </Button>
        </div>
      </form>
    </section>
  );
}
