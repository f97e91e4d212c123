import { Alert } from '../../../components/ui/alert.tsx';
import { AppLogo } from '../../../components/ui/app-logo.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { formatDate, isoOf } from '../../../lib/time.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import type { ConnectedApp } from '../api/get-account.ts';

export interface ConnectedAppsProps {
  apps: ConnectedApp[];
  onRevoke: (clientId: string) => void;
  /** The app whose access is being removed, if any. */
  revoking: string | null;
  error: ApiError | null;
}

export function ConnectedApps({ apps, onRevoke, revoking, error }: ConnectedAppsProps) {
  return (
    <section className="card card--wide" aria-labelledby="apps-title">
      <h2 id="apps-title">Connected apps</h2>
      {error ? <Alert tone="error">{error.message}</Alert> : null}
      {apps.length === 0 ? (
        <p className="muted">No apps can access your account.</p>
      ) : (
        <ul className="app-list">
          {apps.map((app) => (
            <li className="app-list__item" key={app.clientId}>
              <div className="app-list__head">
                <AppLogo name={app.name} logoUrl={app.logoUrl} />
                <div className="app-list__title">
                  <h3>{app.name}</h3>
                  <p className="muted small">
                    Allowed on <time dateTime={isoOf(app.grantedAt)}>{formatDate(app.grantedAt)}</time>
                  </p>
                </div>
                <Button
                  variant="danger"
                  aria-label={`Revoke access for ${app.name}`}
                  onClick={() => onRevoke(app.clientId)}
                  pending={revoking === app.clientId}
                  disabled={revoking !== null}
                >
                  Revoke access
                </Button>
              </div>
              {app.scopes.length > 0 ? (
                <ul className="app-list__scopes">
                  {app.scopes.map((scope) => (
                    <li key={scope.name}>
                      {scope.description} <code className="scope__name">{scope.name}</code>
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
