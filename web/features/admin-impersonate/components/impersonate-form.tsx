import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { TextAreaField } from '../../../components/ui/field.tsx';
import { type ApiError, hasCode } from '../../../lib/api-client.ts';
import { useFocusFirstError } from '../../../lib/use-focus-first-error.ts';
import { StepUp } from '../../mfa/components/step-up.tsx';
import type { AdminUser } from '../api/search-users.ts';
import type { ImpersonationRequest } from '../api/start-impersonation.ts';
import { DEFAULT_DURATION, DURATION_CHOICES, REASON_MAX, REASON_MIN, REAUTH_URL, reasonProblem } from '../lib/policy.ts';

export interface ImpersonateFormProps {
  user: AdminUser | null;
  onStart: (request: ImpersonationRequest) => void;
  /** Called when the admin goes back to editing: a stale server error should go. */
  onEdit: () => void;
  pending: boolean;
  error: ApiError | null;
}

const isStepUp = (error: ApiError | null) => hasCode(error, 'mfa_step_up_required', 'mfa_setup_required');

function ServerError({ error }: { error: ApiError }) {
  if (hasCode(error, 'reauth_required')) {
    return (
      <Alert tone="error" title="Sign in again first">
        <p>{error.message}</p>
        <p>
          {/* A real navigation: the BFF sends the browser to the provider's password prompt. */}
          <a href={REAUTH_URL}>Sign in again</a>
        </p>
      </Alert>
    );
  }
  return <Alert tone="error">{error.message}</Alert>;
}

function minutes(n: number): string {
  return `${n} ${n === 1 ? 'minute' : 'minutes'}`;
}

export function ImpersonateForm({ user, onStart, onEdit, pending, error }: ImpersonateFormProps) {
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState<number>(DEFAULT_DURATION);
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [userError, setUserError] = useState<string | null>(null);
  // What the admin is asked to confirm; any later edit withdraws it.
  const [confirming, setConfirming] = useState<(ImpersonationRequest & { email: string }) | null>(null);
  const serverError = useRef<HTMLDivElement>(null);
  const durationId = useId();
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();

  // A refusal closes the confirmation: the form shows why (and, for reauth_required, the way on).
  const showConfirm = confirming !== null && confirming.userId === user?.id && !error;
  useEffect(() => {
    if (error) serverError.current?.focus();
  }, [error]);

  function edit(apply: () => void) {
    apply();
    setConfirming(null);
    onEdit();
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const problem = reasonProblem(reason);
    setReasonError(problem);
    setUserError(user ? null : 'Choose the user to impersonate first.');
    if (problem !== null || !user) {
      failed();
      return;
    }
    onEdit();
    setConfirming({ userId: user.id, email: user.email, reason: reason.trim(), durationMinutes: duration });
  }

  const length = reason.trim().length;

  return (
    <section className="card card--wide" aria-labelledby="impersonate-form-title">
      <h2 id="impersonate-form-title">Why, and for how long</h2>
      {/* Its own form (forms do not nest): a code now, then the start the admin confirmed goes ahead. */}
      {error && isStepUp(error) ? (
        <div tabIndex={-1} ref={serverError} className="focus-target">
          <StepUp
            error={error}
            onVerified={() => confirming && onStart({ userId: confirming.userId, reason: confirming.reason, durationMinutes: confirming.durationMinutes })}
          />
        </div>
      ) : null}
      <form className="stack" onSubmit={handleSubmit} noValidate ref={formRef}>
        {error && !isStepUp(error) ? (
          <div tabIndex={-1} ref={serverError} className="focus-target">
            <ServerError error={error} />
          </div>
        ) : null}
        <p>
          Impersonating: <strong>{user ? user.email : 'nobody chosen yet'}</strong>
        </p>
        {userError && !user ? <Alert tone="error">{userError}</Alert> : null}
        <TextAreaField
          label="Reason (shown to the user and recorded)"
          name="reason"
          rows={3}
          required
          hint={`${length} / ${REASON_MAX} characters (at least ${REASON_MIN})`}
          value={reason}
          onChange={(event) => {
            const next = event.target.value;
            edit(() => setReason(next));
            // Once shown, the message follows the text, so it goes away as soon as the reason is long enough.
            if (reasonError !== null) setReasonError(reasonProblem(next));
          }}
          error={reasonError ?? undefined}
        />
        <div className="field">
          <label className="field__label" htmlFor={durationId}>
            Duration
          </label>
          <select
            id={durationId}
            name="durationMinutes"
            className="field__input"
            value={duration}
            onChange={(event) => edit(() => setDuration(Number(event.target.value)))}
          >
            {DURATION_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {minutes(choice)}
              </option>
            ))}
          </select>
          <p className="field__hint">The impersonation ends by itself after this time.</p>
        </div>
        <div className="actions">
          <Button type="submit">Continue</Button>
        </div>
        <ConfirmDialog
          open={showConfirm}
          title={confirming ? `Impersonate ${confirming.email} for ${minutes(confirming.durationMinutes)}?` : ''}
          confirmLabel="Start impersonating"
          pending={pending}
          onConfirm={() => {
            if (confirming) onStart({ userId: confirming.userId, reason: confirming.reason, durationMinutes: confirming.durationMinutes });
          }}
          onCancel={() => setConfirming(null)}
        >
          <p>You will see the portal as this person until you stop or the time runs out. This is recorded.</p>
        </ConfirmDialog>
      </form>
    </section>
  );
}
