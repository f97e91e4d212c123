import { useEffect, type ReactNode } from 'react';
import { AdminRefusal } from './admin-page.tsx';
import { QueryError } from '../../../components/ui/query-error.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../../lib/navigation.ts';

interface GatedQuery {
  isPending: boolean;
  isError: boolean;
  error: Error | null;
  refetch: () => unknown;
}

/**
 * What an admin screen shows instead of its content while its first query is
 * loading or failed: sign in again on 401, the refusal on 403, the error with
 * a retry otherwise. Null once there is data to show.
 */
export function useAdminQueryGate(query: GatedQuery, returnTo: string, what: string): ReactNode {
  const status = isApiError(query.error) ? query.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(returnTo));
  }, [status, returnTo]);
  if (status === 403) return <AdminRefusal error={query.error} what={what} />;
  if (query.isPending || status === 401) return <Spinner />;
  if (query.isError && query.error) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  return null;
}
