import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { AdminPage, AdminRefusal } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { isApiError, hasCode } from '../../lib/api-client.ts';
import { useSession } from '../session/api/get-session.ts';
import { useUser } from './api/users.ts';
import { DeleteUser } from './components/delete-user.tsx';
import { UserAccess } from './components/user-access.tsx';
import { UserAudit } from './components/user-audit.tsx';
import { UserProfile } from './components/user-profile.tsx';

const BACK = (
  <p>
    <Link to="/admin/users">Back to all users</Link>
  </p>
);

function UserDetailsView({ id }: { id: string }) {
  const details = useUser(id);
  const session = useSession();
  const [deleted, setDeleted] = useState<string | null>(null);
  if (deleted)
    return (
      <>
        <SuccessNotice title={`${deleted} was deleted.`} />
        {BACK}
      </>
    );
  if (isApiError(details.error) && details.error.status === 403) return <AdminRefusal error={details.error} what="users" />;
  if (hasCode(details.error, 'user_not_found'))
    return (
      <>
        <Alert tone="error" title="This user no longer exists">
          <p>{details.error.message}</p>
        </Alert>
        {BACK}
      </>
    );
  if (details.isPending) return <Spinner />;
  if (details.isError) return <QueryError error={details.error} onRetry={() => void details.refetch()} />;
  const { user } = details.data;
  const self = session.data?.authenticated === true && session.data.user.id === user.id;
  return (
    <>
      {BACK}
      <h2 className="visually-hidden">{user.email}</h2>
      <UserProfile user={user} self={self} />
      <UserAccess details={details.data} />
      <UserAudit userId={user.id} email={user.email} />
      <DeleteUser user={user} self={self} onDeleted={() => setDeleted(user.email)} />
    </>
  );
}

export function AdminUserPage() {
  const { id = '' } = useParams();
  return (
    <AdminPage title="User" returnTo={`/admin/users/${encodeURIComponent(id)}`} what="users">
      <UserDetailsView id={id} />
    </AdminPage>
  );
}
