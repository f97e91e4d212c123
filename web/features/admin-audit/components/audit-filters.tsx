import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import { KNOWN_KINDS, kindLabel } from '../lib/kinds.ts';

/** The filter form's values, as typed (days are `YYYY-MM-DD`). */
export interface FilterValues {
  email: string;
  kind: string;
  from: string;
  to: string;
}

export const NO_FILTERS: FilterValues = { email: '', kind: '', from: '', to: '' };

export interface AuditFiltersProps {
  initial: FilterValues;
  onApply: (values: FilterValues) => void;
}

export function AuditFilters({ initial, onApply }: AuditFiltersProps) {
  const [values, setValues] = useState(initial);
  const [rangeError, setRangeError] = useState<string | null>(null);
  const kindId = useId();
  const set = (key: keyof FilterValues) => (value: string) => setValues((current) => ({ ...current, [key]: value }));
  // A kind the list does not know (from a link) stays selectable rather than silently dropped.
  const kinds: string[] = initial.kind && !(KNOWN_KINDS as readonly string[]).includes(initial.kind) ? [...KNOWN_KINDS, initial.kind] : [...KNOWN_KINDS];

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (values.from && values.to && values.from > values.to) {
      setRangeError('The “to” day is before the “from” day.');
      return;
    }
    setRangeError(null);
    onApply({ ...values, email: values.email.trim() });
  }

  return (
    <form className="card card--wide stack" onSubmit={handleSubmit} aria-label="Filter the audit log" noValidate>
      <TextField
        label="User email"
        type="email"
        name="email"
        autoComplete="off"
        spellCheck={false}
        hint="Entries where this person acted or was acted on."
        value={values.email}
        onChange={(event) => set('email')(event.target.value)}
      />
      <div className="field">
        <label className="field__label" htmlFor={kindId}>
          Kind
        </label>
        <select id={kindId} name="kind" className="field__input" value={values.kind} onChange={(event) => set('kind')(event.target.value)}>
          <option value="">All kinds</option>
          {kinds.map((kind) => (
            <option key={kind} value={kind}>
              {kindLabel(kind)}
            </option>
          ))}
        </select>
      </div>
      <TextField label="From" type="date" name="from" value={values.from} onChange={(event) => set('from')(event.target.value)} />
      <TextField label="To" type="date" name="to" value={values.to} onChange={(event) => set('to')(event.target.value)} error={rangeError ?? undefined} />
      <div className="actions">
        <Button type="submit">Apply filters</Button>
        <Button
          variant="secondary"
          onClick={() => {
            setValues(NO_FILTERS);
            setRangeError(null);
            onApply(NO_FILTERS);
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}
