/**
 * `acr_values=mfa`: a partner asks for a sign-in with two factors. The
 * provider's login prompt gets one more check (oidc-provider's interaction
 * policy): a session whose sign-in did not pass a second factor is asked to
 * sign in again, and the second-factor step then asks for it. A user with no
 * second factor signs in with what they have; the ID token then carries no
 * `acr: "mfa"` and `amr` no `mfa`, and the partner decides (docs/decisions/0015).
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { MFA_ACR } from '../../api/acr.ts';

export const ACR_VALUES = [MFA_ACR];

export function interactionPolicyWithAcr() {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('mfa_requested', 'the client asked for a sign-in with a second factor', (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const asked = String(oidc.params?.acr_values ?? '')
        .split(' ')
        .includes(MFA_ACR);
      // A sign-in made in this very interaction is what the user could do: asking again would loop.
      if (!asked || !oidc.session?.accountId || oidc.result?.login || oidc.acr === MFA_ACR) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
