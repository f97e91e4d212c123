import { Button } from '../../../components/ui/button.tsx';
import { formatDateTime, isoOf } from '../../../lib/time.ts';
import type { DeviceSession } from '../api/sessions.ts';

export interface SessionListProps {
  sessions: DeviceSession[];
  /** Asks to end one: the caller confirms first. */
  onEnd: (session: DeviceSession) => void;
  busy: boolean;
  /** How the list speaks of the person ("you" on the account screen). */
  emptyText: string;
}

/** Signed-in browsers as a list of cards: browser and system, address, when signed in and last active. */
export function SessionList({ sessions, onEnd, busy, emptyText }: SessionListProps) {
  if (sessions.length === 0) return <p className="muted">{emptyText}</p>;
  return (
    <ul className="app-list">
      {sessions.map((s) => (
        <li className="app-list__item" key={s.handle}>
          <div className="app-list__head">
            <div className="app-list__title">
              <h3>
                {s.browser} on {s.os}
                {s.current ? <span className="tag"> This device</span> : null}
              </h3>
              <p className="muted small">
                {s.ip ? <>From {s.ip} · </> : null}
                Signed in <time dateTime={isoOf(s.createdAt)}>{formatDateTime(s.createdAt)}</time> · last active{' '}
                <time dateTime={isoOf(s.lastActiveAt)}>{formatDateTime(s.lastActiveAt)}</time>
              </p>
            </div>
            <Button
              variant="secondary"
              aria-label={`Sign out ${s.browser} on ${s.os}${s.current ? ' (this device)' : ''}`}
              onClick={() => onEnd(s)}
              disabled={busy}
            >
              Sign out
            </Button>
          </div>
        </li>
      ))}
    </ul>
  );
}
