import { useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { SuccessNotice } from '../../../components/ui/success-notice.tsx';
import { formatDateTime, isoOf } from '../../../lib/time.ts';
import { useChangeUser, useMailUser, type UserChange } from '../api/user-actions.ts';
import type { AdminUser } from '../api/users.ts';
import { roleName, userStatus } from './users-table.tsx';
import { UsernameForm } from './username-form.tsx';
import { ResetFactors } from './reset-factors.tsx';

type Asked = { title: string; body: string; confirm: string; change: Omit<UserChange, 'updatedAt' | 'confirmSelf'> };

function questions(u: AdminUser, self: boolean): { role: Asked; access: Asked } {
  const you = self ? ' This is your own account.' : '';
  return {
    role:
      u.role === 'admin'
        ? { title: `Make ${u.email} a user?`, body: `They lose access to every admin screen at once.${you}`, confirm: 'Make user', change: { role: 'user' } }
        : {
            title: `Make ${u.email} an administrator?`,
            body: 'They can manage every user, partner app and setting, and impersonate users.',
            confirm: 'Make administrator',
            change: { role: 'admin' },
          },
    access: u.disabled
      ? { title: `Enable ${u.email}?`, body: 'They can sign in again.', confirm: 'Enable', change: { disabled: false } }
      : {
          title: `Disable ${u.email}?`,
          body: `They are signed out everywhere at once, their partner apps lose access, and they cannot sign in until enabled.${you}`,
          confirm: 'Disable',
          change: { disabled: true },
        },
  };
}

/** The user's details and the actions on the account itself: role, disable / enable, and the mail that lets them in. */
export function UserProfile({ user, self }: { user: AdminUser; self: boolean }) {
  const change = useChangeUser(user.id);
  const mail = useMailUser(user.id);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const q = questions(user, self);

  function confirm() {
    if (!asked) return;
    change.mutate(
      { updatedAt: user.updatedAt, confirmSelf: self, ...asked.change },
      {
        onSuccess: () => {
          setDone(`${asked.confirm}: done.`);
          setAsked(null);
        },
      },
    );
  }

  return (
    <section className="card card--wide" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      {done ? <SuccessNotice title={done} onDismiss={() => setDone(null)} /> : null}
      {mail.isSuccess ? (
        <SuccessNotice
          title={mail.data.sent === 'invitation' ? `A new invitation is on its way to ${user.email}.` : `A password reset link is on its way to ${user.email}.`}
          onDismiss={() => mail.reset()}
        />
      ) : null}
      {mail.isError ? (
        <p className="alert alert--error" role="alert">
          {mail.error.message}
        </p>
      ) : null}
      <dl className="details">
        <div>
          <dt>Name</dt>
          <dd>{user.name || '—'}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd className="break">{user.email}</dd>
        </div>
        <div>
          <dt>Username</dt>
          <dd className="break">{user.username ?? 'None'}</dd>
        </div>
        <div>
          <dt>Email verified</dt>
          <dd>{user.emailVerified ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{roleName(user.role)}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{userStatus(user)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={isoOf(user.createdAt)}>{formatDateTime(user.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last sign-in</dt>
          <dd>{user.lastSignInAt ? <time dateTime={isoOf(user.lastSignInAt)}>{formatDateTime(user.lastSignInAt)}</time> : 'Never'}</dd>
        </div>
      </dl>
      <div className="actions">
        <Button
          variant="secondary"
          onClick={() => {
            change.reset();
            setAsked(q.role);
          }}
        >
          {q.role.confirm}
        </Button>
        <Button
          variant={user.disabled ? 'secondary' : 'danger'}
          onClick={() => {
            change.reset();
            setAsked(q.access);
          }}
        >
          {q.access.confirm}
        </Button>
        <Button variant="secondary" pending={mail.isPending} disabled={user.disabled} onClick={() => mail.mutate(undefined)}>
          {user.hasPassword ? 'Send password reset link' : 'Send invitation again'}
        </Button>
        <ResetFactors user={user} />
      </div>
      <UsernameForm key={user.username ?? ''} user={user} />
      <ConfirmDialog
        open={asked !== null}
        title={asked?.title ?? ''}
        confirmLabel={asked?.confirm ?? ''}
        tone={asked?.change.disabled === false || asked?.change.role === 'admin' ? 'primary' : 'danger'}
        pending={change.isPending}
        error={change.error?.message ?? null}
        onConfirm={confirm}
        onCancel={() => setAsked(null)}
      >
        <p>{asked?.body}</p>
      </ConfirmDialog>
    </section>
  );
}
