import { useEffect, type ReactNode } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { ImpersonationRefusal } from '../../../components/ui/impersonation-refusal.tsx';
import { QueryError } from '../../../components/ui/query-error.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import { hasCode, isApiError } from '../../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../../lib/navigation.ts';
import { useSession } from '../api/get-session.ts';
import { MfaSetupNotice } from '../../../components/ui/mfa-setup-notice.tsx';

export function NotAdmin({ what }: { what: string }) {
  return (
    <Alert tone="error" title="You need to be an administrator">
      <p>Only administrators can manage {what}. Ask an administrator if you need access.</p>
    </Alert>
  );
}

/** The refusal for a 403 from an admin API: the server's reason while impersonating, else "admins only". */
export function AdminRefusal({ error, what }: { error: unknown; what: string }) {
  // MFA_ADMINS=required: an admin without a second factor is shown the way to set one up.
  if (hasCode(error, 'mfa_setup_required')) return <MfaSetupNotice message={error.message} />;
  return hasCode(error, 'impersonation_forbidden') ? <ImpersonationRefusal message={error.message} /> : <NotAdmin what={what} />;
}

/**
 * An admin screen's frame: sends a signed-out visitor to sign in, and shows why
 * the screen is refused (impersonating, not an admin) instead of its content.
 */
export function AdminPage({ title, returnTo, what, children }: { title: string; returnTo: string; what: string; children: ReactNode }) {
  const session = useSession();
  const signedOut = session.data?.authenticated === false;

  useEffect(() => {
    if (signedOut) leaveTo(loginUrl(returnTo));
  }, [signedOut, returnTo]);

  let body: ReactNode;
  if (session.isError) body = <QueryError error={session.error} onRetry={() => void session.refetch()} />;
  else if (!session.data?.authenticated) body = <Spinner label={signedOut ? 'Taking you to sign in…' : 'Loading…'} />;
  else if (session.data.impersonation) body = <ImpersonationRefusal />;
  else if (session.data.user.role !== 'admin') body = <NotAdmin what={what} />;
  else body = children;

  return (
    <div className="page">
      <h1>{title}</h1>
      {body}
    </div>
  );
}

/** What an admin screen's first query is: loading, failed, or its data. */
interface AdminQuery<D> {
  data: D | undefined;
  isPending: boolean;
  error: Error | null;
  refetch: () => unknown;
}

/**
 * The same answer on every admin screen while its list loads: a signed-out admin is sent to sign in
 * (401), a refusal says why (403), then a spinner, or the error with a retry. Until `ready`, show
 * `view` instead of the screen.
 */
export function useAdminQueryGate<D>(query: AdminQuery<D>, returnTo: string, what: string): { ready: false; view: ReactNode } | { ready: true; data: D } {
  const status = isApiError(query.error) ? query.error.status : null;
  useEffect(() => {
    if (status === 401) leaveTo(loginUrl(returnTo));
  }, [status, returnTo]);
  if (status === 403) return { ready: false, view: <AdminRefusal error={query.error} what={what} /> };
  if (query.isPending || status === 401) return { ready: false, view: <Spinner /> };
  if (query.error) return { ready: false, view: <QueryError error={query.error} onRetry={() => void query.refetch()} /> };
  if (query.data === undefined) return { ready: false, view: <Spinner /> };
  return { ready: true, data: query.data };
}
