import { Alert } from '../../../components/ui/alert.tsx';
import type { ConnectionSummary, PendingLink } from '../api/types.ts';

export interface FederationNoticeProps {
  pendingLink?: PendingLink | null;
  routingTo?: ConnectionSummary | null;
}

/** What the sign-in form says about federation: a link waiting for the password, or the redirect under way. */
export function FederationNotice({ pendingLink, routingTo }: FederationNoticeProps) {
  if (routingTo) {
    return <Alert tone="info">Your organization signs in with {routingTo.name}. Taking you there…</Alert>;
  }
  if (pendingLink) {
    const { name } = pendingLink.connection;
    return (
      <Alert tone="info" title={`Sign in with your password once to link ${name}`}>
        <p>
          An account with {pendingLink.email} already exists. Sign in with its password once to link {name}; after that, you can continue with {name}.
        </p>
      </Alert>
    );
  }
  return null;
}
