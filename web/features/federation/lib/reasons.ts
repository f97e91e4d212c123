/**
 * What each failure reason of /bff/federation/* means to a person (the BFF
 * redirects to /federation/error?reason=…; bff/federation/routes.ts lists them).
 */
export interface ReasonText {
  title: string;
  body: string;
}

export const REASONS: Readonly<Record<string, ReasonText>> = {
  provider_unavailable: {
    title: 'The sign-in provider is not responding',
    body: 'The portal could not reach the provider you chose. It may be down for a moment. Try again in a little while, or sign in another way.',
  },
  state_mismatch: {
    title: 'This sign-in could not be verified',
    body: 'The answer from the provider does not belong to a sign-in started in this browser: it may have been finished in another tab, taken too long, or been altered. Start the sign-in again.',
  },
  access_denied: {
    title: 'Sign-in cancelled',
    body: 'The sign-in was cancelled at the provider, or the provider refused access. You can try again or sign in another way.',
  },
  invalid_id_token: {
    title: 'The provider’s answer could not be trusted',
    body: 'The identity token from the provider failed verification (its signature, audience, expiry or nonce), so nobody was signed in. Try again; if it keeps happening, tell your administrator.',
  },
  upstream_error: {
    title: 'The provider reported an error',
    body: 'The provider could not complete the sign-in. Try again; if it keeps happening, tell your administrator.',
  },
  email_unverified: {
    title: 'Your email address is not verified',
    body: 'The provider did not confirm that this email address is yours, so the portal cannot create or link an account with it. Verify your email address with the provider, then try again.',
  },
  account_exists: {
    title: 'An account with this email already exists',
    body: 'For your safety it is not linked automatically. Sign in the way you signed in before; if you cannot, ask an administrator for help.',
  },
  account_disabled: {
    title: 'This account is disabled',
    body: 'Ask an administrator if you think this is a mistake.',
  },
  interaction_expired: {
    title: 'This sign-in request has expired',
    body: 'Go back to the app and start again.',
  },
  connection_not_found: {
    title: 'This sign-in option no longer exists',
    body: 'Go back and choose another way to sign in.',
  },
};

export const UNKNOWN_REASON: ReasonText = {
  title: 'The sign-in could not be completed',
  body: 'Something went wrong while signing in with the provider. Go back and try again.',
};

export function reasonText(reason: string | null): ReasonText {
  return (reason && Object.hasOwn(REASONS, reason) ? REASONS[reason] : undefined) ?? UNKNOWN_REASON;
}
