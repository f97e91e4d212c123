import { useEffect, useState } from 'react';
import { Alert } from '../../components/ui/alert.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { useSession } from '../session/api/get-session.ts';
import { useUserSearch } from './api/search-users.ts';
import type { AdminUser } from './api/search-users.ts';
import { useStartImpersonation } from './api/start-impersonation.ts';
import { ImpersonateForm } from './components/impersonate-form.tsx';
import { UserPicker } from './components/user-picker.tsx';
import { useDebouncedValue } from './lib/use-debounced-value.ts';

const RETURN_TO = '/admin/impersonate';
const SEARCH_DELAY_MS = 300;

function Impersonate() {
  const [query, setQuery] = useState('');
  const search = useDebouncedValue(query.trim(), SEARCH_DELAY_MS);
  // The first search (empty: everyone) doubles as the access check: the server's refusal is what we show.
  const users = useUserSearch(search);
  const start = useStartImpersonation();
  const [selected, setSelected] = useState<AdminUser | null>(null);

  const status = isApiError(users.error) ? users.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(RETURN_TO));
  }, [status]);

  if (status === 403 && users.error) {
    return (
      <Alert tone="error" title="You cannot impersonate anyone now">
        <p>{users.error.message}</p>
      </Alert>
    );
  }
  if (status === 401) return <Spinner label="Taking you to sign in…" />;
  if (users.isPending) return <Spinner />;
  if (users.isError && users.data === undefined) {
    return <QueryError error={users.error} onRetry={() => void users.refetch()} />;
  }

  return (
    <>
      <UserPicker
        query={query}
        onQueryChange={setQuery}
        users={users.data?.users ?? []}
        answeredQuery={search}
        searching={users.isFetching || search !== query.trim()}
        error={users.error}
        selectedId={selected?.id ?? null}
        onSelect={(user) => {
          setSelected(user);
          start.reset();
        }}
      />
      <ImpersonateForm
        user={selected}
        onStart={(request) => start.mutate(request)}
        onEdit={() => start.reset()}
        pending={start.isPending || start.isSuccess}
        error={start.error}
      />
    </>
  );
}

export function AdminImpersonatePage() {
  const session = useSession();
  const signedOut = session.data?.authenticated === false;

  useEffect(() => {
    if (signedOut) leaveTo(loginUrl(RETURN_TO));
  }, [signedOut]);

  let body;
  if (session.isError) body = <QueryError error={session.error} onRetry={() => void session.refetch()} />;
  else if (!session.data?.authenticated) body = <Spinner label={signedOut ? 'Taking you to sign in…' : 'Loading…'} />;
  else body = <Impersonate />;

  return (
    <div className="page">
      <h1>Impersonate a user</h1>
      <p className="lead">
        See the portal as someone else to help them. The reason is shown to them and recorded in the audit log; the session ends by itself when the time is up.
      </p>
      {body}
    </div>
  );
}
