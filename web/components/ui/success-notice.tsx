import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import { Button } from './button.tsx';

export interface SuccessNoticeProps {
  title: string;
  children?: ReactNode;
  onDismiss?: () => void;
}

/**
 * Says that an action went through. It takes focus when it appears: the
 * control that started the action is often gone (a deleted row), and focus
 * must not fall back to the page body.
 */
export function SuccessNotice({ title, children, onDismiss }: SuccessNoticeProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [title]);
  return (
    <div className="alert alert--success notice" role="status" tabIndex={-1} ref={ref}>
      <p className="alert__title">{title}</p>
      {children ? <div className="alert__body">{children}</div> : null}
      {onDismiss ? (
        <Button variant="link" className="notice__dismiss" onClick={onDismiss}>
          Dismiss
        </Button>
      ) : null}
    </div>
  );
}
