import { useEffect, useRef, useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import type { CreatedClient } from '../api/create-client.ts';

function CopyButton({ value, label }: { value: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <>
      <Button variant="secondary" onClick={() => void copy()} aria-label={`Copy ${label}`}>
        Copy
      </Button>
      <span className="small muted" role="status">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? 'Could not copy; select it and copy by hand.' : ''}
      </span>
    </>
  );
}

export interface ClientSecretBoxProps {
  name: string;
  created: CreatedClient;
  onDone: () => void;
  /** Defaults to "<name> is registered". */
  title?: string;
}

/** Shown once, right after registering: the secret is never shown again. */
export function ClientSecretBox({ name, created, onDone, title }: ClientSecretBoxProps) {
  // The form that was just submitted is further down: bring this into view.
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <section className="secret-box" aria-labelledby="secret-title">
      <h2 id="secret-title" ref={headingRef} tabIndex={-1}>
        {title ?? `${name} is registered`}
      </h2>
      <dl className="secret-box__values">
        <div>
          <dt>Client ID</dt>
          <dd>
            <code className="break">{created.clientId}</code>
            <CopyButton value={created.clientId} label="client ID" />
          </dd>
        </div>
        {created.clientSecret ? (
          <div>
            <dt>Client secret</dt>
            <dd>
              <code className="break">{created.clientSecret}</code>
              <CopyButton value={created.clientSecret} label="client secret" />
            </dd>
          </div>
        ) : null}
      </dl>
      {created.clientSecret ? (
        <p className="secret-box__warning">
          <strong>Copy the secret now; it will not be shown again.</strong>
        </p>
      ) : (
        <p>This is a public client: it has no secret.</p>
      )}
      <Button variant="secondary" onClick={onDone}>
        Done
      </Button>
    </section>
  );
}
