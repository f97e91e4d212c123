import { useState } from 'react';
import { leaveTo } from '../../../lib/navigation.ts';
import { useDiscoverConnection } from '../api/discover-connection.ts';
import type { ConnectionSummary } from '../api/types.ts';
import { federationStartUrl } from './start-url.ts';

/**
 * Home-realm discovery for the sign-in form: when the email's domain belongs
 * to an organization's connection, the browser goes straight there.
 * `enabled` is false when no connection has domains, or while a link waits
 * for the password (that user must sign in with it).
 */
export function useHomeRealm(uid: string, enabled: boolean) {
  const discover = useDiscoverConnection(uid);
  const [routingTo, setRoutingTo] = useState<ConnectionSummary | null>(null);

  /** Resolves true when the browser is on its way to the email's provider. */
  async function route(email: string): Promise<boolean> {
    const trimmed = email.trim();
    if (!enabled || routingTo !== null || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(trimmed)) return routingTo !== null;
    let found: ConnectionSummary | null;
    try {
      found = (await discover.mutateAsync(trimmed)).connection;
    } catch {
      // Discovery is a shortcut: when it fails, the password sign-in still works.
      return false;
    }
    if (!found) return false;
    setRoutingTo(found);
    leaveTo(federationStartUrl(found.id, uid, trimmed));
    return true;
  }

  return { route, routingTo };
}
