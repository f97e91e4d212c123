import { useState } from 'react';

/** The part of a react-query mutation the removal flow uses. */
interface RemoveMutation<K> {
  isPending: boolean;
  error: Error | null;
  reset: () => void;
  mutate: (key: K, options: { onSuccess: () => void }) => void;
}

/**
 * Ask → confirm → remove → notice, the same on every admin list: `ask(item)` opens the
 * confirmation (clearing an earlier failure), `confirm()` removes what was asked about and, once
 * the server has done it, closes the dialog and names it in `removed` for the success notice.
 */
export function useConfirmedRemoval<T, K>(mutation: RemoveMutation<K>, keyOf: (item: T) => K, nameOf: (item: T) => string, onRemoved?: (item: T) => void) {
  const [asked, setAsked] = useState<T | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  return {
    asked,
    removed,
    ask(item: T) {
      mutation.reset();
      setAsked(item);
    },
    cancel: () => setAsked(null),
    dismiss: () => setRemoved(null),
    confirm() {
      if (asked === null) return;
      const item = asked;
      mutation.mutate(keyOf(item), {
        onSuccess: () => {
          setAsked(null);
          setRemoved(nameOf(item));
          onRemoved?.(item);
        },
      });
    },
    /** What the ConfirmDialog needs besides its words. */
    dialog: { open: asked !== null, pending: mutation.isPending, error: mutation.error?.message ?? null },
  };
}
