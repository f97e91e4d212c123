import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { UserFilters as Filters } from '../api/users.ts';

const FLAGS = [
  ['admin', 'Administrators only'],
  ['disabled', 'Disabled only'],
  ['unverified', 'Email not verified'],
  ['secondFactor', 'Has a second factor (authenticator app or passkey)'],
] as const;

/** Search, order and filters of the user list; applied on submit so typing does not fetch on every key. */
export function UserFilters({ value, onApply }: { value: Filters; onApply: (f: Filters) => void }) {
  const [draft, setDraft] = useState(value);
  const sortId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft);
  }
  return (
    <form className="stack" role="search" aria-label="Find users" onSubmit={submit}>
      <TextField
        label="Search"
        name="query"
        type="search"
        hint="Part of a name or email."
        autoComplete="off"
        spellCheck={false}
        value={draft.query}
        onChange={(e) => setDraft({ ...draft, query: e.target.value })}
      />
      <div className="field">
        <label className="field__label" htmlFor={sortId}>
          Order
        </label>
        <select
          id={sortId}
          name="sort"
          className="field__input"
          value={draft.sort}
          onChange={(e) => setDraft({ ...draft, sort: e.target.value === 'lastSignIn' ? 'lastSignIn' : 'created' })}
        >
          <option value="created">Newest first</option>
          <option value="lastSignIn">Most recent sign-in first</option>
        </select>
      </div>
      <fieldset className="field">
        <legend className="field__label">Show</legend>
        {FLAGS.map(([key, label]) => (
          <div className="checkbox" key={key}>
            <input id={`${sortId}-${key}`} type="checkbox" name={key} checked={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.checked })} />
            <label htmlFor={`${sortId}-${key}`}>{label}</label>
          </div>
        ))}
      </fieldset>
      <div className="actions">
        <Button type="submit">Show users</Button>
      </div>
    </form>
  );
}
