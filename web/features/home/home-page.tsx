import { Navigate } from 'react-router';
import { Card } from '../../components/ui/card.tsx';
import { QueryError } from '../../components/ui/query-error.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { loginUrl } from '../../lib/navigation.ts';
import { useSession } from '../session/api/get-session.ts';

export function HomePage() {
  const session = useSession();

  if (session.isPending) return <Spinner />;
  if (session.isError) {
    return (
      <div className="page page--centred">
        <QueryError error={session.error} onRetry={() => void session.refetch()} />
      </div>
    );
  }
  if (session.data.authenticated) return <Navigate to="/account" replace />;

  return (
    <div className="page page--centred">
      <Card size="narrow" labelledBy="home-title" className="home">
        <h1 id="home-title">Portal</h1>
        <p className="lead">One account for all the apps your organisation uses.</p>
        {/* A real navigation: the BFF answers with a redirect to the provider. */}
        <a className="button button--primary button--block" href={loginUrl()}>
          Sign in
        </a>
      </Card>
    </div>
  );
}
