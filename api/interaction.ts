/**
 * The shapes of the sign-in interaction's API (GET /bff/interaction/:uid and the answers of its
 * steps), shared by the BFF (bff/sign-in/routes.ts) and the sign-in screens.
 */

/**
 * The id of the `<script type="application/json">` element that carries GET /bff/interaction/:uid's
 * answer inside the HTML of /interaction/:uid (bff/http/spa.ts), so the screen needs no first fetch.
 */
export const INTERACTION_DATA_ID = 'portal-interaction';

/** Federation's part of GET /bff/interaction/:uid. */
export type ConnectionKind = 'sso' | 'social';

export interface ConnectionSummary {
  id: string;
  name: string;
  /** `sso`: an organization's identity provider; `social`: anyone's account there. */
  kind: ConnectionKind;
}

/** A link waiting for the user's password, set when the provider's email matched an existing account. */
export interface PendingLink {
  connection: { id: string; name: string };
  email: string;
}

export interface InteractionClient {
  clientId: string;
  name: string;
  logoUrl: string | null;
  firstParty: boolean;
}

export interface InteractionScope {
  name: string;
  description: string;
  required: boolean;
  previouslyGranted: boolean;
}

/** An admin's sign-in-as request: the SPA completes it without a form. */
export interface ImpersonationInteraction {
  uid: string;
  prompt: 'impersonation';
}

/** GET /bff/interaction/:uid: a sign-in or consent screen, or an impersonation to complete. */
export type Interaction = ScreenInteraction | ImpersonationInteraction;

export interface ScreenInteraction {
  uid: string;
  prompt: 'login' | 'consent';
  client: InteractionClient;
  loginHint: string | null;
  user: { email: string; name: string } | null;
  scopes: InteractionScope[];
  /** Federation: "Continue with" buttons, home-realm discovery, a link waiting for the password. */
  connections?: ConnectionSummary[];
  homeRealmDiscovery?: boolean;
  pendingLink?: PendingLink | null;
  /** The sign-in waits for the code mailed to this address (email verification). */
  verifyEmail?: { email: string };
  /** The sign-in waits for an emailed sign-in code sent to this address. */
  emailCode?: { email: string };
  /** The sign-in waits for a second factor, answered with one of these (`totp`, `passkey`, `recovery_code`). */
  secondFactor?: { factors: string[] };
  /** The sign-in waits until a second factor is set up (policy requires one the account lacks). */
  secondFactorSetup?: boolean;
  /** The account's password is an administrator's initial one: the sign-in waits for the person's own. */
  newPassword?: { email: string };
  /** SIGNUP=open: the screen offers "Create account". */
  signUp?: boolean;
  /** The screen to open on: `sign-up` when the app asked for it (WorkOS screen_hint) and sign-up is open. */
  screen?: 'sign-in' | 'sign-up';
}

/** The answer of a first factor (password, sign-up, passkey): the interaction finished, or a further step is needed. */
export type LoginAnswer =
  | { redirectTo: string }
  | { next: 'verify_email'; email: string }
  | { next: 'second_factor'; factors: string[] }
  | { next: 'second_factor_setup' }
  | { next: 'new_password'; email: string };
