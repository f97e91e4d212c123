import { useEffect } from 'react';
import type { UseMutationResult } from '@tanstack/react-query';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { Spinner } from '../../../components/ui/spinner.tsx';
import type { ApiError } from '../../../lib/api-client.ts';
import type { TotpSetup as TotpSetupData } from '../api/mfa.ts';
import { CodeForm } from './code-form.tsx';

/**
 * Setting up an authenticator app: the QR code and the secret as text, saved once a code from the
 * app is right. `start` and `confirm` are the calls of where it happens (account screen, sign-in).
 */
export function TotpSetup<R extends { newRecoveryCodes: string[] | null }>({
  start,
  confirm,
  onSaved,
  onCancel,
}: {
  start: UseMutationResult<TotpSetupData, ApiError, void>;
  confirm: UseMutationResult<R, ApiError, string>;
  onSaved: (codes: string[] | null, result: R) => void;
  onCancel?: () => void;
}) {
  const { mutate: begin } = start;
  useEffect(() => begin(), [begin]);
  if (start.isError) return <Alert tone="error">{start.error.message}</Alert>;
  if (!start.data) return <Spinner label="Preparing the QR code…" />;
  const grouped = start.data.secret.match(/.{1,4}/g)!.join(' ');
  return (
    <div className="stack">
      <ol className="stack">
        <li>Open your authenticator app (for example Google Authenticator, 1Password or Authy) and add an account.</li>
        <li>
          Scan this QR code:
          <img className="qr-code" src={start.data.qrCode} alt="QR code for your authenticator app" width={220} height={220} />
          Or type this key:{' '}
          <code className="totp-secret" aria-label={`Key: ${start.data.secret.split('').join(' ')}`}>
            {grouped}
          </code>
        </li>
        <li>Enter the 6-digit code the app shows to finish.</li>
      </ol>
      <CodeForm
        onSubmit={(answer) => confirm.mutate(answer.code, { onSuccess: (r) => onSaved(r.newRecoveryCodes, r) })}
        pending={confirm.isPending}
        error={confirm.error}
        recovery={false}
        submitLabel="Turn on two-step verification"
      />
      {onCancel ? (
        <Button type="button" variant="link" onClick={onCancel} disabled={confirm.isPending}>
          Cancel
        </Button>
      ) : null}
    </div>
  );
}
