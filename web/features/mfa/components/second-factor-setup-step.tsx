import { useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';
import { useAddPasskeyInSignIn, useConfirmSetupInSignIn, useStartSetupInSignIn } from '../api/mfa.ts';
import { AddPasskeyForm } from '../../passkeys/components/add-passkey-form.tsx';
import { InteractionExpired } from '../../interaction/components/interaction-expired.tsx';
import { RecoveryCodes } from './recovery-codes.tsx';
import { TotpSetup } from './totp-setup.tsx';

/**
 * Sign-in step: policy (MFA_ADMINS / MFA_USERS=required) asks for a second factor this account
 * lacks, so one is set up before the sign-in completes: a passkey, or an authenticator app (its
 * recovery codes are shown once, then the sign-in goes on).
 */
export function SecondFactorSetupStep({ uid }: { uid: string }) {
  const start = useStartSetupInSignIn(uid);
  const confirm = useConfirmSetupInSignIn(uid);
  const passkey = useAddPasskeyInSignIn(uid);
  const [app, setApp] = useState(false);
  const [done, setDone] = useState<{ codes: string[]; redirectTo: string } | null>(null);
  const expired = [start.error, confirm.error, passkey.error].some((e) => isApiError(e) && (e.status === 404 || e.status === 410));
  if (expired) return <InteractionExpired />;
  if (done)
    return (
      <div className="stack">
        <h1>Two-step verification is on</h1>
        <RecoveryCodes codes={done.codes} onDone={() => leaveTo(done.redirectTo)} />
      </div>
    );
  return (
    <div className="stack">
      <h1>Set up two-step verification</h1>
      <p>
        This portal requires a second factor for your account. Set one up now to finish signing in: a passkey (your device’s screen lock or a security key), or
        a code from an authenticator app.
      </p>
      {app ? (
        <TotpSetup
          start={start}
          confirm={confirm}
          onSaved={(codes, result) => (codes ? setDone({ codes, redirectTo: result.redirectTo }) : leaveTo(result.redirectTo))}
          onCancel={() => setApp(false)}
        />
      ) : (
        <>
          <AddPasskeyForm add={passkey} onAdded={() => undefined} heading="h2" />
          <Button type="button" variant="secondary" className="button--block" onClick={() => setApp(true)}>
            Use an authenticator app instead
          </Button>
        </>
      )}
    </div>
  );
}
