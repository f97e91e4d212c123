import { useId } from 'react';
import { ROLES } from '../api/organizations.ts';

const LABELS: Record<string, string> = { member: 'Member', admin: 'Admin', owner: 'Owner' };

/** A role picker; a custom role already held stays selectable. */
export function RoleSelect({ label, value, onChange, name = 'role' }: { label: string; value: string; onChange: (role: string) => void; name?: string }) {
  const id = useId();
  const roles: string[] = (ROLES as readonly string[]).includes(value) ? [...ROLES] : [...ROLES, value];
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <select id={id} name={name} className="field__input" value={value} onChange={(e) => onChange(e.target.value)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {LABELS[r] ?? r}
          </option>
        ))}
      </select>
    </div>
  );
}

export const roleLabel = (role: string): string => LABELS[role] ?? role;
