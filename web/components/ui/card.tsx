import type { ReactNode } from 'react';

export interface CardProps {
  children: ReactNode;
  /** `narrow` is the centred sign-in / consent card. */
  size?: 'narrow' | 'wide';
  className?: string;
  as?: 'section' | 'div' | 'article';
  labelledBy?: string;
}

export function Card({ children, size = 'wide', className, as: Tag = 'section', labelledBy }: CardProps) {
  const classes = ['card', `card--${size}`, className].filter(Boolean).join(' ');
  return (
    <Tag className={classes} aria-labelledby={labelledBy}>
      {children}
    </Tag>
  );
}
