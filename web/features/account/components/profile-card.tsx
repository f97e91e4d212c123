import { Link } from 'react-router';
import type { Account } from '../api/get-account.ts';

export function ProfileCard({ user }: { user: Account['user'] }) {
  return (
    <section className="card card--wide" aria-labelledby="profile-title">
      <h2 id="profile-title">Your details</h2>
      <dl className="details">
        <div>
          <dt>Name</dt>
          <dd>{user.name}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd>{user.email}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{user.role === 'admin' ? 'Administrator' : user.role === 'user' ? 'User' : user.role}</dd>
        </div>
      </dl>
      {user.role === 'admin' ? (
        <nav aria-label="Administration" className="admin-links">
          <h3>Administration</h3>
          <ul>
            <li>
              <Link to="/admin/clients">Partner apps</Link>
            </li>
            <li>
              <Link to="/admin/impersonate">Impersonate a user</Link>
            </li>
            <li>
              <Link to="/admin/audit">Audit log</Link>
            </li>
          </ul>
        </nav>
      ) : null}
    </section>
  );
}
