import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Button } from '../components/ui/button.tsx';
import { ConfirmDialog } from '../components/ui/confirm-dialog.tsx';
import { sessionQueryKey, sessionQueryOptions, useSession } from '../features/session/api/get-session.ts';
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
  /**
   * Called when the countdown reaches zero, then every EXPIRY_RECHECK_MS while
   * the bar is still up: the server ends the impersonation, and its clock may
   * be a little behind this one.
   */
  onExpired?: () => void;
}

export const EXPIRY_RECHECK_MS = 10_000;

/** The yellow "you are impersonating" bar, counting down to expiresAt. */
export function ImpersonationBar({ userEmail, impersonation, onStop, stopping = false, error, onExpired }: ImpersonationBarProps) {
  const expiresAtMs = toEpochMs(impersonation.expiresAt);
  const now = useNow(1000, expiresAtMs !== null);
  const remaining = expiresAtMs === null ? null : expiresAtMs - now;
  const expired = remaining !== null && remaining <= 0;

  const [asking, setAsking] = useState(false);
  const reportedAt = useRef<number | null>(null);
  useEffect(() => {
    if (!expired) {
      reportedAt.current = null;
      return;
    }
    if (reportedAt.current === null || now - reportedAt.current >= EXPIRY_RECHECK_MS) {
      reportedAt.current = now;
      onExpired?.();
    }
  }, [expired, now, onExpired]);

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
      <Button variant="secondary" onClick={() => setAsking(true)} pending={stopping}>
        Stop impersonating
      </Button>
      {error && !asking ? (
        <p className="impersonation-bar__error" role="alert">
          {error}
        </p>
      ) : null}
      <ConfirmDialog
        open={asking}
        title={`Stop impersonating ${userEmail}?`}
        confirmLabel="Stop now"
        tone="primary"
        pending={stopping}
        error={error}
        onConfirm={onStop}
        onCancel={() => setAsking(false)}
      >
        <p>You go back to your own session. To see the portal as this person again you start a new, recorded impersonation.</p>
      </ConfirmDialog>
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

  // After the time ran out (or Stop was refused), ask the server: it ends an impersonation that is over and
  // hands back the admin's own session. Then everything cached was the impersonated user's: fetch it again.
  const recheck = useCallback(async () => {
    try {
      const fresh = await queryClient.fetchQuery({ ...sessionQueryOptions(), staleTime: 0 });
      if (!fresh.authenticated || !fresh.impersonation) {
        await queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== sessionQueryKey[0] });
      }
    } catch {
      // Unreachable for now; the bar asks again shortly.
    }
  }, [queryClient]);

  return (
    <div id="banner-slot">
      {data?.authenticated && data.impersonation ? (
        <ImpersonationBar
          userEmail={data.user.email}
          impersonation={data.impersonation}
          onStop={() =>
            // A refusal usually means it already ended (expired, or stopped in another tab): re-read the session.
            stop.mutate(undefined, { onError: () => void recheck() })
          }
          stopping={stop.isPending || stop.isSuccess}
          error={stop.error?.message ?? null}
          onExpired={() => void recheck()}
        />
      ) : null}
    </div>
  );
}
