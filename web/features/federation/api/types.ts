/** What GET /bff/interaction/:uid adds for federation. */
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
