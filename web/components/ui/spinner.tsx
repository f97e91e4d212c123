export interface SpinnerProps {
  label?: string;
  /** Inline spinners sit inside buttons; their label is for screen readers only. */
  inline?: boolean;
}

export function Spinner({ label = 'Loading…', inline = false }: SpinnerProps) {
  if (inline) {
    return <span className="spinner spinner--inline" aria-hidden="true" />;
  }
  return (
    <div className="spinner-block" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span className="spinner-block__label">{label}</span>
    </div>
  );
}
