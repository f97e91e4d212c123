import { Link, Outlet } from 'react-router';
import { Button } from '../components/ui/button.tsx';
import { useSession } from '../features/session/api/get-session.ts';
import { useLogout } from '../features/session/api/logout.ts';
import { Banner } from './banner.tsx';
import { pageBranding } from '../lib/branding.ts';

/** Admin screens, for an administrator's own session only (never while impersonating). */
function AdminNav() {
  const session = useSession();
  const data = session.data;
  if (!data?.authenticated || data.user.role !== 'admin' || data.impersonation) return null;
  return (
    <nav aria-label="Admin" className="actions">
      <Link to="/admin">Activity</Link>
      <Link to="/admin/users">Users</Link>
      <Link to="/admin/organizations">Organizations</Link>
      <Link to="/admin/branding">Branding</Link>
      <Link to="/admin/clients">Partner apps</Link>
      <Link to="/admin/resources">APIs</Link>
      <Link to="/admin/api-routes">API routes</Link>
      <Link to="/admin/connections">Identity providers</Link>
      <Link to="/admin/impersonate">Impersonate</Link>
      <Link to="/admin/audit">Audit log</Link>
    </nav>
  );
}

function SessionControls() {
  const session = useSession();
  const logout = useLogout();
  if (!session.data?.authenticated) return null;
  return (
    <div className="topbar__session">
      <span className="topbar__email" title="Signed in as">
        {session.data.user.email}
      </span>
      <Button variant="secondary" onClick={() => logout.mutate()} pending={logout.isPending || logout.isSuccess}>
        Sign out
      </Button>
      {logout.error ? (
        <span className="topbar__error" role="alert">
          {logout.error.message}
        </span>
      ) : null}
    </div>
  );
}

export function Layout() {
  const brand = pageBranding();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className={brand.logoUrl ? 'topbar__brand topbar__brand--logo' : 'topbar__brand'}>
          {brand.logoUrl ? <img className="topbar__logo" src={brand.logoUrl} alt="" /> : null}
          {brand.portalName}
        </Link>
        <AdminNav />
        <SessionControls />
      </header>
      <Banner />
      <main id="main" className="shell__main" tabIndex={-1}>
        <Outlet />
      </main>
      {brand.supportEmail ? (
        <footer className="shell__footer">
          Need help? Write to <a href={`mailto:${brand.supportEmail}`}>{brand.supportEmail}</a>.
        </footer>
      ) : null}
    </div>
  );
}
