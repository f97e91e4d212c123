/**
 * The browser half of WebAuthn, through @simplewebauthn/browser, loaded only
 * when a passkey is used so the sign-in page's first paint stays within its
 * weight budget (decision 0011).
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';

const load = () => import('@simplewebauthn/browser');

/** The browser's own JSON helpers for WebAuthn (WebAuthn Level 3), where it has them. */
type NativeJson = typeof PublicKeyCredential & {
  parseRequestOptionsFromJSON?: (o: PublicKeyCredentialRequestOptionsJSON) => PublicKeyCredentialRequestOptions;
  isConditionalMediationAvailable?: () => Promise<boolean>;
};
const native = (): NativeJson | undefined => (typeof PublicKeyCredential === 'undefined' ? undefined : (PublicKeyCredential as NativeJson));

/**
 * The autofill request waits quietly for the whole visit; any other ceremony (the button, a
 * registration) ends it first, since a browser runs one WebAuthn request at a time.
 */
let quietRequest: AbortController | null = null;
function endQuietRequest(): void {
  quietRequest?.abort(Object.assign(new Error('replaced by another passkey request'), { name: 'AbortError' }));
  quietRequest = null;
}

/** Asks the authenticator to create a passkey for these options. */
export async function createPasskey(optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  endQuietRequest();
  return (await load()).startRegistration({ optionsJSON });
}

/**
 * Asks for a passkey: from a button, or quietly through the email field's autofill list. Autofill
 * uses the browser's own JSON helpers where it has them, so a sign-in page that nobody uses a
 * passkey on never downloads the library.
 */
export async function getPasskey(optionsJSON: PublicKeyCredentialRequestOptionsJSON, autofill = false): Promise<AuthenticationResponseJSON> {
  endQuietRequest();
  const pkc = native();
  if (autofill && pkc?.parseRequestOptionsFromJSON) {
    const controller = new AbortController();
    quietRequest = controller;
    const credential = (await navigator.credentials.get({
      publicKey: pkc.parseRequestOptionsFromJSON(optionsJSON),
      mediation: 'conditional',
      signal: controller.signal,
    })) as PublicKeyCredential | null;
    if (quietRequest === controller) quietRequest = null;
    if (!credential) throw Object.assign(new Error('no passkey was chosen'), { name: 'NotAllowedError' });
    return credential.toJSON() as AuthenticationResponseJSON;
  }
  return (await load()).startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
}

export async function supportsPasskeys(): Promise<boolean> {
  return (await load()).browserSupportsWebAuthn();
}

export async function supportsAutofill(): Promise<boolean> {
  const pkc = native();
  if (pkc?.isConditionalMediationAvailable) return pkc.isConditionalMediationAvailable();
  return (await load()).browserSupportsWebAuthnAutofill();
}

/** The person closed the browser's passkey prompt, it timed out, or another request replaced it. */
export function wasCancelled(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  const code = (error as { code?: string } | null)?.code;
  return name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED';
}

/** Words for a browser-side failure (not a server answer). */
export function browserProblem(error: unknown): string {
  if (wasCancelled(error)) return 'The passkey was not used: the request was cancelled or timed out. Try again, or sign in another way.';
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This device already holds a passkey for your account.';
  return 'Your browser could not use a passkey here. Try again, or use another way.';
}
