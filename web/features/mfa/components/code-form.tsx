import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { CodeAnswer } from '../api/mfa.ts';

export interface CodeFormProps {
  onSubmit: (answer: CodeAnswer) => void;
  pending: boolean;
  error: ApiError | null;
  /** Offer "Use a recovery code instead". */
  recovery: boolean;
  submitLabel: string;
}

/**
 * A code from the authenticator app, or (switched with a link) a recovery
 * code. Errors are announced and focus goes to the field.
 */
export function CodeForm({ onSubmit, pending, error, recovery, submitLabel }: CodeFormProps) {
  const [method, setMethod] = useState<CodeAnswer['method']>('totp');
  const [code, setCode] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (error) form.current?.querySelector('input')?.focus();
  }, [error]);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit({ method, code: code.trim() });
  }

  const totp = method === 'totp';
  return (
    <form className="stack" onSubmit={handleSubmit} noValidate ref={form}>
      {error ? <Alert tone="error">{error.message}</Alert> : null}
      <TextField
        key={method}
        label={totp ? 'Code from your authenticator app' : 'Recovery code'}
        hint={
          totp ? 'The 6-digit code the app shows now.' : 'One of the codes you saved when you set up two-step verification, like abcde-23456. Each works once.'
        }
        name="code"
        inputMode={totp ? 'numeric' : 'text'}
        autoComplete="one-time-code"
        autoCapitalize="none"
        spellCheck={false}
        maxLength={totp ? 7 : 20}
        required
        autoFocus
        value={code}
        onChange={(event) => setCode(event.target.value)}
        error={error?.fields?.code}
      />
      <Button type="submit" className="button--block" pending={pending}>
        {submitLabel}
      </Button>
      {recovery ? (
        <Button
          type="button"
          variant="link"
          disabled={pending}
          onClick={() => {
            setMethod(totp ? 'recovery_code' : 'totp');
            setCode('');
          }}
        >
          {totp ? 'Use a recovery code instead' : 'Use the authenticator app instead'}
        </Button>
      ) : null}
    </form>
  );
}
