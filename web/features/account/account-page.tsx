import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert } from '../../components/ui/alert.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { sessionQueryKey, useSession } from '../session/api/get-session.ts';
import { useMfaStatus } from '../mfa/api/mfa.ts';
import { usePasskeys } from '../passkeys/api/passkeys.ts';
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

/**
 * MFA_USERS=required and no second factor yet: only the two ways to set one up, until
 * one exists; then the session is read again and the whole screen opens. The two cards keep their
 * place (keys), so new recovery codes stay on screen while it opens.
 */
function SetupFirst() {
  const client = useQueryClient();
  const mfa = useMfaStatus();
  const passkeys = usePasskeys();
  const hasFactor = Boolean(mfa.data?.totp.enabled) || (passkeys.data?.passkeys.length ?? 0) > 0;
  useEffect(() => {
    if (hasFactor) void client.invalidateQueries({ queryKey: sessionQueryKey });
  }, [hasFactor, client]);
  return (
    <Alert key="setup-first" tone="warning" title="Set up two-step verification to use your account">
      <p>
        This portal requires a second factor for your account: add a passkey or set up an authenticator app below. The rest of your account opens once one is
        set up.
      </p>
    </Alert>
  );
}

function AccountCards({ setupFirst }: { setupFirst: boolean }) {
  const account = useAccount(!setupFirst);
  const revoke = useRevokeApp();
  const password = useChangePassword();

  const unauthenticated = isApiError(account.error) && account.error.status === 401;
  useEffect(() => {
    if (unauthenticated) leaveTo(loginUrl('/account'));
  }, [unauthenticated]);

  const data = setupFirst || unauthenticated ? undefined : account.data;
  let state = null;
  if (setupFirst) state = <SetupFirst key="setup-first" />;
  else if (account.isError && !unauthenticated) state = <QueryError key="error" error={account.error} onRetry={() => void account.refetch()} />;
  else if (!data) state = <Spinner key="loading" />;
  return [
    state,
    data ? <ProfileCard key="profile" user={data.user} /> : null,
    data ? (
      <ConnectedApps
        key="apps"
        apps={data.connectedApps}
        onRevoke={(clientId) => revoke.mutate(clientId)}
        revoking={revoke.isPending ? (revoke.variables ?? null) : null}
        error={revoke.error}
      />
    ) : null,
    data ? <SignedInSessions key="sessions" /> : null,
    setupFirst || data ? <PasskeysCard key="passkeys" /> : null,
    setupFirst || data ? <SecondFactorCard key="two-step" /> : null,
    data ? <ImpersonationHistory key="impersonations" records={data.impersonations} /> : null,
    data ? (
      <ChangePasswordForm
        key="password"
        onSubmit={(change, done) => password.mutate(change, { onSuccess: done })}
        pending={password.isPending}
        error={password.error}
        succeeded={password.isSuccess}
      />
    ) : null,
  ];
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
        // Admins are held at the admin screens instead (MFA_ADMINS): their account screen stays whole.
        <AccountCards setupFirst={session.data.secondFactorSetupRequired === true && session.data.user.role !== 'admin'} />
      ) : (
        <Spinner label={signedOut ? 'Taking you to sign in…' : 'Loading…'} />
      )}
    </div>
  );
}
