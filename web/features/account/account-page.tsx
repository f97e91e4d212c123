import { useEffect } from 'react';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { useSession } from '../session/api/get-session.ts';
import { useChangePassword } from './api/change-password.ts';
import { useAccount } from './api/get-account.ts';
import { useRevokeApp } from './api/revoke-app.ts';
import { ChangePasswordForm } from './components/change-password-form.tsx';
import { ConnectedApps } from './components/connected-apps.tsx';
import { ImpersonationHistory } from './components/impersonation-history.tsx';
import { ProfileCard } from './components/profile-card.tsx';
import { SignedInSessions } from './components/signed-in-sessions.tsx';
import { SecondFactorCard } from '../mfa/components/second-factor-card.tsx';
import { PasskeysCard } from '../passkeys/components/passkeys-card.tsx';

function AccountContent() {
  const account = useAccount();
  const revoke = useRevokeApp();
  const password = useChangePassword();

  const unauthenticated = isApiError(account.error) && account.error.status === 401;
  useEffect(() => {
    if (unauthenticated) leaveTo(loginUrl('/account'));
  }, [unauthenticated]);

  if (account.isPending || unauthenticated) return <Spinner />;
  if (account.isError) return <QueryError error={account.error} onRetry={() => void account.refetch()} />;

  const { user, connectedApps, impersonations } = account.data;
  return (
    <>
      <ProfileCard user={user} />
      <ConnectedApps
        apps={connectedApps}
        onRevoke={(clientId) => revoke.mutate(clientId)}
        revoking={revoke.isPending ? (revoke.variables ?? null) : null}
        error={revoke.error}
      />
      <SignedInSessions />
      <PasskeysCard />
      <SecondFactorCard />
      <ImpersonationHistory records={impersonations} />
      <ChangePasswordForm
        onSubmit={(change, done) => password.mutate(change, { onSuccess: done })}
        pending={password.isPending}
        error={password.error}
        succeeded={password.isSuccess}
      />
    </>
  );
}

export function AccountPage() {
  const session = useSession();
  const signedOut = session.data?.authenticated === false;

  useEffect(() => {
    if (signedOut) leaveTo(loginUrl('/account'));
  }, [signedOut]);

  return (
    <div className="page">
      <h1>Your account</h1>
      {session.isError ? (
        <QueryError error={session.error} onRetry={() => void session.refetch()} />
      ) : session.data?.authenticated ? (
        <AccountContent />
      ) : (
        <Spinner label={signedOut ? 'Taking you to sign in…' : 'Loading…'} />
      )}
    </div>
  );
}
