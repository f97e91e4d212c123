import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * After a submit that found problems, moves focus to the first invalid field
 * of the form (`aria-invalid="true"`), or to the form's alert: a screen reader
 * then reads the field with its message, and a sighted person sees where to
 * look. Call `failed()` each time a submit is refused; it refocuses every time,
 * even when the problems are the same as before.
 */
export function useFocusFirstError<T extends HTMLElement>() {
  const formRef = useRef<T>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt === 0) return;
    const target = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], [role="alert"]');
    if (!target) return;
    // An alert is not focusable by itself: make it a focus target (not a tab stop) first.
    if (target.tabIndex < 0 && !target.hasAttribute('tabindex')) target.tabIndex = -1;
    target.focus();
  }, [attempt]);
  const failed = useCallback(() => setAttempt((n) => n + 1), []);
  return { formRef, failed };
}
