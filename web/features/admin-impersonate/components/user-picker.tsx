import { Alert } from '../../../components/ui/alert.tsx';
import { TextField } from '../../../components/ui/field.tsx';
import type { AdminUser } from '../api/search-users.ts';
import { unavailableReason } from '../api/search-users.ts';

export interface UserPickerProps {
  query: string;
  onQueryChange: (query: string) => void;
  users: AdminUser[];
  /** The search the results answer (debounced), for the "no match" line. */
  answeredQuery: string;
  searching: boolean;
  error: Error | null;
  selectedId: string | null;
  onSelect: (user: AdminUser) => void;
}

const notes: Record<string, string> = {
  administrator: 'Administrator — cannot be impersonated',
  disabled: 'Disabled — cannot be impersonated',
};

export function UserPicker({ query, onQueryChange, users, answeredQuery, searching, error, selectedId, onSelect }: UserPickerProps) {
  return (
    <section className="card card--wide" aria-labelledby="pick-user-title">
      <h2 id="pick-user-title">Choose the user</h2>
      <div className="stack">
        <TextField
          label="Search users"
          type="search"
          name="query"
          autoComplete="off"
          spellCheck={false}
          hint="By email or name."
          value={query}
          onChange={(event) => onQueryChange(event.target.value)}
        />
        <p className="muted small">
          Administrators and disabled accounts are listed but cannot be chosen: administrators cannot be impersonated, and a disabled account cannot sign in.
        </p>
        {error ? <Alert tone="error">{error.message}</Alert> : null}
        <p className="visually-hidden" role="status">
          {searching ? 'Searching…' : `${users.length} ${users.length === 1 ? 'user' : 'users'} found`}
        </p>
        {users.length === 0 && !searching && !error ? (
          <p className="muted">{answeredQuery === '' ? 'There are no users yet.' : `No users match “${answeredQuery}”.`}</p>
        ) : null}
        {users.length > 0 ? (
          <fieldset className="scope-list" aria-busy={searching || undefined}>
            <legend>Users</legend>
            {users.map((user) => {
              const blocked = unavailableReason(user);
              const id = `impersonate-user-${user.id}`;
              return (
                <div className="scope" key={user.id}>
                  <input
                    id={id}
                    type="radio"
                    name="userId"
                    value={user.id}
                    checked={selectedId === user.id}
                    disabled={blocked !== null}
                    onChange={() => onSelect(user)}
                    aria-describedby={blocked ? `${id}-note` : undefined}
                  />
                  <label htmlFor={id} className="scope__label">
                    <span>{user.email}</span>
                    {user.name ? <span className="scope__name">{user.name}</span> : null}
                  </label>
                  {blocked ? (
                    <span className="scope__note" id={`${id}-note`}>
                      {notes[blocked]}
                    </span>
                  ) : null}
                </div>
              );
            })}
          </fieldset>
        ) : null}
      </div>
    </section>
  );
}
