import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Button } from '../components/ui/button.tsx';
import { sessionQueryKey, useSession } from '../features/session/api/get-session.ts';
import type { Impersonation } from '../features/session/api/get-session.ts';
import { useStopImpersonation } from '../features/session/api/stop-impersonation.ts';
import { formatRemaining, toEpochMs } from '../lib/time.ts';
import { useNow } from '../lib/use-now.ts';

export interface ImpersonationBarProps {
  userEmail: string;
  impersonation: Impersonation;
  onStop: () => void;
  stopping?: boolean;
  error?: string | null;
  /** Called once when the countdown reaches zero. */
  onExpired?: () => void;
}

/** The yellow "you are impersonating" bar, counting down to expiresAt. */
export function ImpersonationBar({ userEmail, impersonation, onStop, stopping = false, error, onExpired }: ImpersonationBarProps) {
  const expiresAtMs = toEpochMs(impersonation.expiresAt);
  const now = useNow(1000, expiresAtMs !== null);
  const remaining = expiresAtMs === null ? null : expiresAtMs - now;
  const expired = remaining !== null && remaining <= 0;

  const reported = useRef(false);
  useEffect(() => {
    if (expired && !reported.current) {
      reported.current = true;
      onExpired?.();
    }
  }, [expired, onExpired]);

  return (
    <div className="impersonation-bar" role="region" aria-label="Impersonation">
      <p className="impersonation-bar__text">
        You are impersonating <strong>{userEmail}</strong> — reason: {impersonation.reason}
        {remaining !== null ? (
          <>
            {' — '}
            <span className="impersonation-bar__time" role="timer" aria-live="off">
              {formatRemaining(remaining)}
            </span>{' '}
            left
          </>
        ) : null}
      </p>
      <Button variant="secondary" onClick={onStop} pending={stopping}>
        Stop impersonating
      </Button>
      {error ? (
        <p className="impersonation-bar__error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The banner region under the top bar. Empty, except while an administrator
 * is impersonating someone.
 */
export function Banner() {
  const session = useSession();
  const stop = useStopImpersonation();
  const queryClient = useQueryClient();
  const data = session.data;

  return (
    <div id="banner-slot">
      {data?.authenticated && data.impersonation ? (
        <ImpersonationBar
          userEmail={data.user.email}
          impersonation={data.impersonation}
          onStop={() => stop.mutate()}
          stopping={stop.isPending || stop.isSuccess}
          error={stop.error?.message ?? null}
          onExpired={() => void queryClient.invalidateQueries({ queryKey: sessionQueryKey })}
        />
      ) : null}
    </div>
  );
}
