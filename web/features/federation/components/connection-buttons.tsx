import { useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { leaveTo } from '../../../lib/navigation.ts';
import type { ConnectionSummary } from '../api/types.ts';
import { federationStartUrl } from '../lib/start-url.ts';

export interface ConnectionButtonsProps {
  uid: string;
  connections: ConnectionSummary[];
  /** While the password sign-in or a redirect is under way. */
  disabled?: boolean;
}

/** "Continue with <provider>", one button per connection, below the password form. */
export function ConnectionButtons({ uid, connections, disabled = false }: ConnectionButtonsProps) {
  const [leaving, setLeaving] = useState<string | null>(null);
  if (connections.length === 0) return null;
  return (
    <section className="stack" aria-label="Other ways to sign in">
      <div className="card__header">
        <p className="muted" aria-hidden="true">
          or
        </p>
      </div>
      {connections.map((connection) => (
        <Button
          key={connection.id}
          variant="secondary"
          className="button--block"
          pending={leaving === connection.id}
          disabled={disabled || leaving !== null}
          onClick={() => {
            setLeaving(connection.id);
            leaveTo(federationStartUrl(connection.id, uid));
          }}
        >
          Continue with {connection.name}
        </Button>
      ))}
    </section>
  );
}
