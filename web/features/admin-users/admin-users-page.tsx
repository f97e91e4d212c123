import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { AdminPage, AdminRefusal } from '../session/components/admin-page.tsx';
import { Button } from '../../components/ui/button.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { USER_FLAGS, useUsers, type UserFilters as Filters } from './api/users.ts';
import { InviteUserForm } from './components/invite-user-form.tsx';
import { UserFilters } from './components/user-filters.tsx';
import { UsersTable } from './components/users-table.tsx';

const RETURN_TO = '/admin/users';

/** The filters live in the address, so a reload or a shared link shows the same list. */
function readFilters(p: URLSearchParams): Filters {
  return {
    query: p.get('query') ?? '',
    sort: p.get('sort') === 'lastSignIn' ? 'lastSignIn' : 'created',
    admin: p.has('admin'),
    disabled: p.has('disabled'),
    unverified: p.has('unverified'),
    secondFactor: p.has('secondFactor'),
  };
}

function UsersList({ filters }: { filters: Filters }) {
  const users = useUsers(filters);
  const [shown, setShown] = useState(0);
  const status = isApiError(users.error) ? users.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(RETURN_TO));
  }, [status]);

  if (status === 403) return <AdminRefusal error={users.error} what="users" />;
  if (users.isPending || status === 401) return <Spinner />;
  if (!users.data) return <QueryError error={users.error} onRetry={() => void users.refetch()} />;
  const all = users.data.pages.flatMap((p) => p.users);
  return (
    <>
      <p className="muted" role="status">
        {all.length === 0 ? 'No users match.' : `Showing ${all.length} ${all.length === 1 ? 'user' : 'users'}${users.hasNextPage ? '; more follow' : ''}.`}
      </p>
      {all.length > 0 ? <UsersTable users={all} /> : null}
      {users.hasNextPage ? (
        <div className="actions">
          <Button
            variant="secondary"
            pending={users.isFetchingNextPage}
            onClick={() => {
              setShown(all.length);
              void users.fetchNextPage();
            }}
          >
            Show more users
          </Button>
        </div>
      ) : null}
      {shown > 0 && users.isFetchNextPageError ? (
        <QueryError error={users.error} title="More users could not be loaded" onRetry={() => void users.fetchNextPage()} />
      ) : null}
    </>
  );
}

export function AdminUsersPage() {
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  function apply(f: Filters) {
    const next = new URLSearchParams();
    if (f.query.trim()) next.set('query', f.query.trim());
    if (f.sort !== 'created') next.set('sort', f.sort);
    for (const k of USER_FLAGS) if (f[k]) next.set(k, '1');
    setParams(next);
  }
  return (
    <AdminPage title="Users" returnTo={RETURN_TO} what="users">
      <section className="card card--wide" aria-labelledby="users-title">
        <h2 id="users-title">Find users</h2>
        <UserFilters value={filters} onApply={apply} />
        <UsersList filters={filters} />
      </section>
      <InviteUserForm />
    </AdminPage>
  );
}
