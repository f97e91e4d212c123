import { useEffect, useRef } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';

/** New recovery codes, shown this once; focus moves here so they are read out. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), []);
  return (
    <div className="stack focus-target" tabIndex={-1} ref={box} aria-labelledby="recovery-codes-title">
      <Alert tone="warning" title="Save your recovery codes now">
        <p id="recovery-codes-title">
          If you lose your phone, each of these codes signs you in once instead of the app. They are shown only now: print them or keep them in a password
          manager.
        </p>
      </Alert>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="actions">
        <Button type="button" onClick={onDone}>
          I saved them
        </Button>
      </div>
    </div>
  );
}
