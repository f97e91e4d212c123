import { useParams } from 'react-router';
import { Card } from '../../components/ui/card.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { isApiError } from '../../lib/api-client.ts';
import { useDenyInteraction } from './api/deny-interaction.ts';
import { useInteraction } from './api/get-interaction.ts';
import type { ScreenInteraction } from './api/get-interaction.ts';
import { useSubmitConsent } from './api/submit-consent.ts';
import { useSubmitLogin } from './api/submit-login.ts';
import { ConsentForm } from './components/consent-form.tsx';
import { InteractionExpired } from './components/interaction-expired.tsx';
import { LoginForm } from './components/login-form.tsx';
import { useRequestSignInCode, useSignUp } from './api/verify-email.ts';
import { lazy, Suspense, useState, type ComponentType, type JSX } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConnectionButtons } from '../federation/components/connection-buttons.tsx';
import { FederationNotice } from '../federation/components/federation-notice.tsx';
import { useHomeRealm } from '../federation/lib/use-home-realm.ts';
import { PasskeySignIn } from '../passkeys/components/passkey-sign-in.tsx';

/**
 * The steps after the sign-in form (a second factor, an emailed code, email verification, sign-up,
 * an impersonation): each its own chunk, fetched when the step comes, so the sign-in page stays light.
 */
function onDemand<P extends object>(load: () => Promise<ComponentType<P>>) {
  const Step = lazy(() => load().then((c) => ({ default: c })));
  return function OnDemandStep(props: P) {
    return (
      <Suspense fallback={<Spinner label="Loading…" />}>
        <Step {...(props as P & JSX.IntrinsicAttributes)} />
      </Suspense>
    );
  };
}

const SecondFactorStep = onDemand(() => import('../mfa/components/second-factor-step.tsx').then((m) => m.SecondFactorStep));
const SecondFactorSetupStep = onDemand(() => import('../mfa/components/second-factor-setup-step.tsx').then((m) => m.SecondFactorSetupStep));
const ImpersonationStep = onDemand(() => import('./components/impersonation-step.tsx').then((m) => m.ImpersonationStep));
const VerifyEmailStep = onDemand(() => import('./components/verify-email-step.tsx').then((m) => m.VerifyEmailStep));
const EmailCodeStep = onDemand(() => import('./components/email-code-step.tsx').then((m) => m.EmailCodeStep));
const NewPasswordStep = onDemand(() => import('./components/new-password-step.tsx').then((m) => m.NewPasswordStep));
const SignUpForm = onDemand(() => import('./components/sign-up-form.tsx').then((m) => m.SignUpForm));

/** 404 (unknown) and 410 (gone) both mean: start again from the app. */
function isExpired(error: unknown): boolean {
  return isApiError(error) && (error.status === 404 || error.status === 410);
}

function LoginStep({ interaction }: { interaction: ScreenInteraction }) {
  const login = useSubmitLogin(interaction.uid);
  const askCode = useRequestSignInCode(interaction.uid);
  const signUp = useSignUp(interaction.uid);
  const [creating, setCreating] = useState(interaction.screen === 'sign-up');
  const realm = useHomeRealm(interaction.uid, Boolean(interaction.homeRealmDiscovery) && !interaction.pendingLink);
  if (isExpired(login.error)) return <InteractionExpired />;
  if (signUp.data && 'next' in signUp.data) return <VerifyEmailStep uid={interaction.uid} email={signUp.data.email} />;
  if (creating)
    return (
      <SignUpForm onSubmit={(v) => signUp.mutate(v)} onCancel={() => setCreating(false)} pending={signUp.isPending || signUp.isSuccess} error={signUp.error} />
    );
  if (askCode.data) return <EmailCodeStep uid={interaction.uid} email={askCode.data.email} message={askCode.data.message} />;
  if (login.data && 'next' in login.data && login.data.next === 'new_password') return <NewPasswordStep uid={interaction.uid} email={login.data.email} />;
  if (login.data && 'next' in login.data && login.data.next === 'second_factor') return <SecondFactorStep uid={interaction.uid} factors={login.data.factors} />;
  if (login.data && 'next' in login.data && login.data.next === 'second_factor_setup') return <SecondFactorSetupStep uid={interaction.uid} />;
  if (login.data && 'next' in login.data) return <VerifyEmailStep uid={interaction.uid} email={login.data.email} />;
  const pending = login.isPending || login.isSuccess || realm.routingTo !== null;
  return (
    <div className="stack">
      <LoginForm
        client={interaction.client}
        loginHint={interaction.pendingLink?.email ?? interaction.loginHint}
        notice={<FederationNotice pendingLink={interaction.pendingLink} routingTo={realm.routingTo} />}
        onEmailBlur={(email) => void realm.route(email)}
        onSubmit={(credentials) => void realm.route(credentials.email).then((routed) => routed || login.mutate(credentials))}
        onEmailCode={(email) => {
          login.reset();
          askCode.mutate(email);
        }}
        pending={pending || askCode.isPending}
        error={login.error ?? askCode.error}
      />
      <PasskeySignIn uid={interaction.uid} disabled={pending} />
      <ConnectionButtons uid={interaction.uid} connections={interaction.connections ?? []} disabled={pending} />
      {interaction.signUp ? (
        <Button type="button" variant="link" onClick={() => setCreating(true)} disabled={pending}>
          Create account
        </Button>
      ) : null}
    </div>
  );
}

function ConsentStep({ interaction }: { interaction: ScreenInteraction }) {
  const consent = useSubmitConsent(interaction.uid);
  const deny = useDenyInteraction(interaction.uid);
  const error = consent.error ?? deny.error;
  if (isExpired(error)) return <InteractionExpired />;
  const pending = consent.isPending || consent.isSuccess ? 'allow' : deny.isPending || deny.isSuccess ? 'deny' : null;
  return (
    <ConsentForm
      client={interaction.client}
      user={interaction.user}
      scopes={interaction.scopes}
      onAllow={(scopes) => {
        deny.reset();
        consent.mutate(scopes);
      }}
      onDeny={() => {
        consent.reset();
        deny.mutate();
      }}
      pending={pending}
      error={error}
    />
  );
}

function InteractionBody({ uid }: { uid: string }) {
  const interaction = useInteraction(uid);
  if (interaction.isPending) return <Spinner />;
  if (interaction.isError) {
    if (isExpired(interaction.error)) return <InteractionExpired />;
    return <QueryError error={interaction.error} onRetry={() => void interaction.refetch()} />;
  }
  const { data } = interaction;
  if (data.prompt === 'impersonation') return <ImpersonationStep key={data.uid} uid={data.uid} />;
  if (data.prompt === 'login' && data.newPassword) return <NewPasswordStep key={data.uid} uid={data.uid} email={data.newPassword.email} />;
  if (data.prompt === 'login' && data.secondFactorSetup) return <SecondFactorSetupStep key={data.uid} uid={data.uid} />;
  if (data.prompt === 'login' && data.secondFactor) return <SecondFactorStep key={data.uid} uid={data.uid} factors={data.secondFactor.factors} />;
  if (data.prompt === 'login' && data.emailCode) return <EmailCodeStep key={data.uid} uid={data.uid} email={data.emailCode.email} />;
  if (data.prompt === 'login' && data.verifyEmail) return <VerifyEmailStep key={data.uid} uid={data.uid} email={data.verifyEmail.email} />;
  if (data.prompt === 'login') return <LoginStep key={data.uid} interaction={data} />;
  if (data.prompt === 'consent') return <ConsentStep key={data.uid} interaction={data} />;
  return <InteractionExpired />;
}

export function InteractionPage() {
  const { uid = '' } = useParams();
  return (
    <div className="page page--centred">
      <Card size="narrow">
        <InteractionBody uid={uid} />
      </Card>
    </div>
  );
}
