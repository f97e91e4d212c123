import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { Card } from '../../components/ui/card.tsx';
import { TextField } from '../../components/ui/field.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { leaveTo, loginUrl } from '../../lib/navigation.ts';
import { useFocusFirstError } from '../../lib/use-focus-first-error.ts';
import { useSession } from '../session/api/get-session.ts';
import { useDecideDevice, useLookupDevice } from './api/device.ts';

/** The code as the device shows it: XXXX-XXXX (people may type it in any case, with or without the dash). */
function grouped(raw: string): string {
  const letters = raw.toUpperCase().replace(/[^A-Z]/g, '');
  return letters.length === 8 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : raw.trim();
}

/**
 * RFC 8628's verification page: the person types the code their TV or
 * console shows, sees which app asks for what, and allows or denies it.
 */
export function DevicePage() {
  const [params] = useSearchParams();
  const session = useSession();
  const signedOut = session.data?.authenticated === false;
  const fromLink = params.get('user_code') ?? '';

  useEffect(() => {
    if (signedOut) leaveTo(loginUrl(fromLink ? `/device?user_code=${encodeURIComponent(fromLink)}` : '/device'));
  }, [signedOut, fromLink]);

  return (
    <div className="page page--centred">
      <Card size="narrow">
        {session.isError ? (
          <QueryError error={session.error} onRetry={() => void session.refetch()} />
        ) : session.data?.authenticated ? (
          <DeviceSteps initialCode={fromLink} />
        ) : (
          <Spinner label={signedOut ? 'Taking you to sign in…' : 'Loading…'} />
        )}
      </Card>
    </div>
  );
}

function DeviceSteps({ initialCode }: { initialCode: string }) {
  const [code, setCode] = useState(initialCode);
  const lookup = useLookupDevice();
  const decide = useDecideDevice();
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (lookup.isPending) return;
    decide.reset();
    lookup.mutate(grouped(code), { onError: failed });
  }

  if (decide.isSuccess) {
    const approved = decide.variables.approve;
    return (
      <section className="stack" aria-labelledby="device-done-title">
        <h1 id="device-done-title">{approved ? 'Your device is signed in' : 'Your device was not signed in'}</h1>
        <p role="status">
          {approved
            ? `${lookup.data?.app.name ?? 'The app'} on your device can continue now. You can close this page.`
            : 'Nothing was shared with the app. You can close this page.'}
        </p>
      </section>
    );
  }

  if (lookup.isSuccess) {
    const request = lookup.data;
    return (
      <section className="stack" aria-labelledby="device-confirm-title">
        <h1 id="device-confirm-title">Sign in to {request.app.name} on your device?</h1>
        <p>
          Only continue if you started this on your own device and it shows the code <strong>{grouped(code)}</strong>.
        </p>
        <p>{request.app.name} will be able to:</p>
        <ul>
          {request.scopes.map((s) => (
            <li key={s.name}>{s.description}</li>
          ))}
        </ul>
        {decide.error ? (
          <Alert tone="error">
            <p>{decide.error.message}</p>
          </Alert>
        ) : null}
        <div className="actions">
          <Button
            type="button"
            pending={decide.isPending && decide.variables?.approve === true}
            onClick={() => decide.mutate({ userCode: grouped(code), approve: true })}
          >
            Allow
          </Button>
          <Button
            type="button"
            variant="secondary"
            pending={decide.isPending && decide.variables?.approve === false}
            onClick={() => decide.mutate({ userCode: grouped(code), approve: false })}
          >
            Deny
          </Button>
        </div>
      </section>
    );
  }

  return (
    <form ref={formRef} className="stack" onSubmit={handleSubmit} aria-labelledby="device-title" noValidate>
      <h1 id="device-title">Sign in on a device</h1>
      <p>Enter the code shown on your TV, console or other device.</p>
      {lookup.error && !lookup.error.fields?.userCode ? (
        <Alert tone="error">
          <p>{lookup.error.message}</p>
        </Alert>
      ) : null}
      <TextField
        label="Code"
        hint="Eight letters, like BCDF-GHJK. Upper or lower case, with or without the dash."
        name="user_code"
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        required
        autoFocus
        value={code}
        onChange={(event) => setCode(event.target.value)}
        error={lookup.error?.fields?.userCode ? lookup.error.message : undefined}
      />
      <Button type="submit" className="button--block" pending={lookup.isPending}>
        Continue
      </Button>
    </form>
  );
}
