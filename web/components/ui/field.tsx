import { useId } from 'react';
import type { InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from 'react';

interface FieldChrome {
  label: ReactNode;
  hint?: ReactNode;
  /** A message, or a list of messages (one per problem). */
  error?: string | string[];
}

function errorList(error: string | string[] | undefined): string[] {
  if (error === undefined) return [];
  return (Array.isArray(error) ? error : [error]).filter((e) => e !== '');
}

function describedBy(hintId: string | undefined, errorId: string | undefined): string | undefined {
  const ids = [hintId, errorId].filter(Boolean).join(' ');
  return ids === '' ? undefined : ids;
}

function FieldMessages({ hint, hintId, errors, errorId }: { hint?: ReactNode; hintId: string; errors: string[]; errorId: string }) {
  return (
    <>
      {hint ? (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {errors.length === 1 ? (
        <p className="field__error" id={errorId}>
          {errors[0]}
        </p>
      ) : null}
      {errors.length > 1 ? (
        <ul className="field__error field__error--list" id={errorId}>
          {errors.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/**
 * The label, hint and errors around one control, and the ids and ARIA
 * attributes that tie them together; the control itself is the caller's.
 */
function FieldFrame({
  label,
  hint,
  error,
  id,
  className,
  control,
}: FieldChrome & { id?: string; className?: string; control: (aria: ControlAria) => ReactNode }) {
  const autoId = useId();
  const inputId = id ?? autoId;
  const errors = errorList(error);
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  return (
    <div className={['field', errors.length > 0 ? 'field--invalid' : '', className].filter(Boolean).join(' ')}>
      <label className="field__label" htmlFor={inputId}>
        {label}
      </label>
      {control({
        id: inputId,
        'aria-invalid': errors.length > 0 || undefined,
        'aria-describedby': describedBy(hint ? hintId : undefined, errors.length > 0 ? errorId : undefined),
      })}
      <FieldMessages hint={hint} hintId={hintId} errors={errors} errorId={errorId} />
    </div>
  );
}

interface ControlAria {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

export type TextFieldProps = FieldChrome & Omit<InputHTMLAttributes<HTMLInputElement>, 'children'>;

export function TextField({ label, hint, error, id, className, ...input }: TextFieldProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      id={id}
      className={className}
      control={(aria) => <input {...input} {...aria} className="field__input" />}
    />
  );
}

export type TextAreaFieldProps = FieldChrome & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'children'>;

export function TextAreaField({ label, hint, error, id, className, ...textarea }: TextAreaFieldProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      id={id}
      className={className}
      control={(aria) => <textarea {...textarea} {...aria} className="field__input field__input--textarea" />}
    />
  );
}
