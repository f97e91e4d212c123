import { Link } from 'react-router';
import { formatDate, formatDateTime, isoOf } from '../../../lib/time.ts';
import type { AdminUser } from '../api/users.ts';

/** Plain words for a user's state, shared by the list and the user page. */
export function userStatus(u: Pick<AdminUser, 'disabled' | 'emailVerified' | 'hasPassword' | 'mustChangePassword'>): string {
  if (u.disabled) return 'Disabled';
  if (!u.hasPassword && !u.emailVerified) return 'Invited';
  if (u.mustChangePassword) return 'Must choose a new password';
  return u.emailVerified ? 'Active' : 'Email not verified';
}

export const roleName = (role: AdminUser['role']) => (role === 'admin' ? 'Administrator' : 'User');

/** A table on wide screens; each row stacks into a card on phones (labels from data-label, see styles.css). */
export function UsersTable({ users }: { users: AdminUser[] }) {
  return (
    <div className="table-wrap">
      <table className="table table--stack">
        <caption className="visually-hidden">Users, in the order chosen above</caption>
        <thead>
          <tr>
            <th scope="col">Name and email</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Last sign-in</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <th scope="row">
                <Link to={`/admin/users/${encodeURIComponent(u.id)}`}>{u.name || u.email}</Link>
                <div className="muted small break">{u.email}</div>
              </th>
              <td data-label="Role">{roleName(u.role)}</td>
              <td data-label="Status">{userStatus(u)}</td>
              <td data-label="Created">
                <time dateTime={isoOf(u.createdAt)}>{formatDate(u.createdAt)}</time>
              </td>
              <td data-label="Last sign-in">{u.lastSignInAt ? <time dateTime={isoOf(u.lastSignInAt)}>{formatDateTime(u.lastSignInAt)}</time> : 'Never'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
