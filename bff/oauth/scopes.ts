/** The scopes the portal understands, with the words the consent screen uses. */
export interface ScopeInfo {
  name: string;
  description: string;
  /** Cannot be unticked on the consent screen. */
  required: boolean;
}

export const SCOPES: readonly ScopeInfo[] = [
  { name: 'openid', description: 'Confirm who you are (your Portal account identifier)', required: true },
  { name: 'profile', description: 'See your name', required: false },
  { name: 'email', description: 'See your email address', required: false },
  { name: 'offline_access', description: 'Stay connected while you are away, without asking you to sign in again', required: false },
  { name: 'basic', description: 'Use the partner API on your behalf with basic access', required: false },
];

export const SCOPE_NAMES = SCOPES.map((s) => s.name);

export function describeScope(name: string): ScopeInfo {
  return SCOPES.find((s) => s.name === name) ?? { name, description: name, required: false };
}

/** Standard OIDC claims released per scope. */
export const CLAIMS: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'updated_at'],
  email: ['email', 'email_verified'],
};
