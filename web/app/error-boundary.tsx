import { Component } from 'react';
import type { ErrorInfo, ReactNode } from 'react';
import { isRouteErrorResponse, useRouteError } from 'react-router';

function ErrorScreen({ title, message }: { title: string; message: string }) {
  return (
    <main className="page page--centred" id="main">
      <section className="card card--narrow" aria-labelledby="error-title">
        <h1 id="error-title">{title}</h1>
        <p>{message}</p>
        <p className="actions">
          <a className="button button--primary" href="/">
            Go to the start page
          </a>
          <button type="button" className="button button--secondary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </p>
      </section>
    </main>
  );
}

const friendly = {
  title: 'Something went wrong',
  message: 'The page ran into a problem it could not recover from. Reload to try again; if it keeps happening, contact your administrator.',
};

interface ErrorBoundaryState {
  error: unknown;
}

/** Last line of defence for errors outside the router (e.g. in providers). */
export class ErrorBoundary extends Component<{ children: ReactNode }, ErrorBoundaryState> {
  state: ErrorBoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): ErrorBoundaryState {
    return { error: error ?? new Error('Unknown error') };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('Unhandled error in the Portal UI', error, info.componentStack);
  }

  render() {
    if (this.state.error !== null) return <ErrorScreen {...friendly} />;
    return this.props.children;
  }
}

/** The router's errorElement: render errors and unknown routes inside the router. */
export function RouteErrorPage() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return <ErrorScreen title="Page not found" message="There is nothing at this address. Check the link, or start again from the start page." />;
  }
  console.error('Route error', error);
  return <ErrorScreen {...friendly} />;
}
