import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet, segment } from '../../../lib/api-client.ts';
import type { ConnectionSummary, PendingLink } from '../../federation/api/types.ts';

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

export interface Interaction {
  uid: string;
  /** 'impersonation': an admin's sign-in-as request; the SPA completes it without a form. */
  prompt: 'login' | 'consent' | 'impersonation';
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
  /** SIGNUP=open: the screen offers "Create account". */
  signUp?: boolean;
  /** The screen to open on: `sign-up` when the app asked for it (WorkOS screen_hint) and sign-up is open. */
  screen?: 'sign-in' | 'sign-up';
}

export function getInteraction(uid: string, signal?: AbortSignal): Promise<Interaction> {
  return apiGet<Interaction>(`/bff/interaction/${segment(uid)}`, { signal });
}

export function interactionQueryOptions(uid: string) {
  return queryOptions({
    queryKey: ['interaction', uid],
    queryFn: ({ signal }) => getInteraction(uid, signal),
    // The interaction only changes when this page acts on it; a refetch on
    // focus would only risk swapping the form out from under the user.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useInteraction(uid: string) {
  return useQuery(interactionQueryOptions(uid));
}
