import { useEffect, useId, useLayoutEffect, useRef } from 'react';
import type { KeyboardEvent, ReactNode, SyntheticEvent } from 'react';
import { Button } from './button.tsx';

export interface ConfirmDialogProps {
  /** Shown while true; the parent owns the state, so a confirmation survives re-renders. */
  open: boolean;
  title: string;
  children?: ReactNode;
  /** The verb on the confirming button ("Delete", "Rotate secret"): never a bare "OK". */
  confirmLabel: string;
  cancelLabel?: string;
  tone?: 'danger' | 'primary';
  /** The action is in flight: both buttons wait, Escape does nothing. */
  pending?: boolean;
  /** Why the action failed; announced and focused, the dialog stays open to try again. */
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * The one confirmation for destructive actions: a native modal `<dialog>`
 * (focus trapped and the page inert for free). Focus starts on Cancel, the
 * safe choice; Escape or Cancel closes it and focus goes back to the control
 * that opened it. Closing after success leaves focus to the success notice.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = 'Cancel',
  tone = 'danger',
  pending = false,
  error = null,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const errorRef = useRef<HTMLParagraphElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const bodyId = useId();

  // Layout effects: the dialog is open (and focus inside it) before anything paints or other effects run.
  useLayoutEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      cancelRef.current?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  function cancel() {
    if (pending) return;
    const back = opener.current;
    dialogRef.current?.close();
    onCancel();
    if (back?.isConnected) back.focus();
  }

  // Escape: handled here rather than left to the browser, so the parent's state and the focus stay in step.
  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    cancel();
  }
  function onNativeCancel(event: SyntheticEvent<HTMLDialogElement>) {
    event.preventDefault();
    cancel();
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={children ? bodyId : undefined}
      onKeyDown={onKeyDown}
      onCancel={onNativeCancel}
    >
      {open ? (
        <div className="dialog__content stack">
          <h2 id={titleId} className="dialog__title">
            {title}
          </h2>
          {children ? <div id={bodyId}>{children}</div> : null}
          {error ? (
            <p className="dialog__error" role="alert" tabIndex={-1} ref={errorRef}>
              {error}
            </p>
          ) : null}
          <div className="actions">
            <Button variant={tone} onClick={onConfirm} pending={pending}>
              {confirmLabel}
            </Button>
            <Button variant="secondary" ref={cancelRef} onClick={cancel} disabled={pending}>
              {cancelLabel}
            </Button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
