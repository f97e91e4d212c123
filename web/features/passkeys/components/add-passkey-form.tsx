import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { UseMutationResult } from '@tanstack/react-query';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { isApiError, type ApiError } from '../../../lib/api-client.ts';
import { passkeyProblem } from '../lib/problem.ts';

const NAME_MAX = 60;

/**
 * Name it, then the browser creates it (the device's screen lock or security key confirms).
 * `add` is the call of where it happens (account screen, or a sign-in held until a factor is set up).
 */
export function AddPasskeyForm<R>({
  add,
  onAdded,
  heading: Heading = 'h3',
}: {
  add: UseMutationResult<R, ApiError | Error, string>;
  onAdded: (name: string, result: R) => void;
  /** Its title's level in the page around it. */
  heading?: 'h2' | 'h3';
}) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  const fieldError = problem ?? (isApiError(add.error) ? add.error.fields?.name : undefined);
  const general = add.error && !(isApiError(add.error) && add.error.fields?.name) ? passkeyProblem(add.error) : null;
  useEffect(() => {
    if (general) alertRef.current?.focus();
  }, [general]);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const trimmed = name.trim();
    const found =
      trimmed === '' ? 'Give the passkey a name, for example the device it is on.' : trimmed.length > NAME_MAX ? `Use at most ${NAME_MAX} characters.` : null;
    setProblem(found);
    if (found) {
      document.getElementById('passkey-name')?.focus();
      return;
    }
    add.mutate(trimmed, {
      onSuccess: (result) => {
        setName('');
        onAdded(trimmed, result);
      },
    });
  }

  return (
    <form className="stack" onSubmit={handleSubmit} noValidate aria-labelledby="add-passkey-title">
      <Heading id="add-passkey-title">Add a passkey</Heading>
      {general ? (
        <div tabIndex={-1} ref={alertRef} className="focus-target">
          <Alert tone="error">
            <p>{general}</p>
          </Alert>
        </div>
      ) : null}
      <TextField
        id="passkey-name"
        label="Passkey name"
        hint="So you can tell your passkeys apart, for example “Work laptop”."
        name="passkey-name"
        autoComplete="off"
        maxLength={NAME_MAX + 20}
        value={name}
        onChange={(event) => setName(event.target.value)}
        error={fieldError}
      />
      <Button type="submit" pending={add.isPending}>
        Add a passkey
      </Button>
    </form>
  );
}
