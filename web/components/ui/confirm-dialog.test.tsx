import { fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmDialog } from './confirm-dialog.tsx';

function Harness({ onConfirm, pending = false, error = null }: { onConfirm: () => void; pending?: boolean; error?: string | null }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Delete Acme
      </button>
      <ConfirmDialog
        open={open}
        title="Delete Acme?"
        confirmLabel="Delete"
        pending={pending}
        error={error}
        onConfirm={onConfirm}
        onCancel={() => setOpen(false)}
      >
        <p>This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}

function openFrom(name: string) {
  const opener = screen.getByRole('button', { name });
  opener.focus();
  fireEvent.click(opener);
  return opener;
}

describe('ConfirmDialog', () => {
  it('opens as a labelled, described modal with focus on Cancel, the safe choice', () => {
    render(<Harness onConfirm={() => {}} />);
    expect(screen.queryByRole('dialog')).toBeNull();
    openFrom('Delete Acme');
    const dialog = screen.getByRole('dialog', { name: 'Delete Acme?' });
    expect(dialog.getAttribute('aria-describedby')).toBe(within(dialog).getByText('This cannot be undone.').parentElement?.id);
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
  });

  it('Escape cancels without confirming, and focus returns to the control that opened it', () => {
    const onConfirm = vi.fn();
    render(<Harness onConfirm={onConfirm} />);
    const opener = openFrom('Delete Acme');
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it('the browser’s own cancel (Escape on a native dialog) is handled the same way', () => {
    render(<Harness onConfirm={() => {}} />);
    const opener = openFrom('Delete Acme');
    const cancelEvent = new Event('cancel', { cancelable: true });
    screen.getByRole('dialog').dispatchEvent(cancelEvent);
    expect(cancelEvent.defaultPrevented).toBe(true);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('Cancel does the same; the confirming button calls onConfirm once', () => {
    const onConfirm = vi.fn();
    render(<Harness onConfirm={onConfirm} />);
    const opener = openFrom('Delete Acme');
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement).toBe(opener);
    openFrom('Delete Acme');
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('while pending, Escape and Cancel do nothing; a failure is announced and focused', () => {
    const { rerender } = render(<Harness onConfirm={() => {}} />);
    openFrom('Delete Acme');
    rerender(<Harness onConfirm={() => {}} pending />);
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.getByRole('dialog')).toBeTruthy();
    expect((within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }) as HTMLButtonElement).disabled).toBe(true);

    rerender(<Harness onConfirm={() => {}} error="The server is unreachable." />);
    const alert = within(screen.getByRole('dialog')).getByRole('alert');
    expect(alert.textContent).toBe('The server is unreachable.');
    expect(document.activeElement).toBe(alert);
  });
});
