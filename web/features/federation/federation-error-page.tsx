import { Link, useSearchParams } from 'react-router';
import { Card } from '../../components/ui/card.tsx';
import { reasonText } from './lib/reasons.ts';

/** /federation/error?reason=…[&uid=…]: why signing in through a provider failed, and the way back. */
export function FederationErrorPage() {
  const [params] = useSearchParams();
  const reason = params.get('reason');
  const uid = params.get('uid');
  const text = reasonText(reason);
  return (
    <div className="page page--centred">
      <Card size="narrow">
        <section className="stack" aria-labelledby="federation-error-title">
          <h1 id="federation-error-title">{text.title}</h1>
          <p>{text.body}</p>
          {reason ? (
            <p className="muted">
              Error: <code>{reason}</code>
            </p>
          ) : null}
          <div className="actions">
            {uid ? <Link to={`/interaction/${encodeURIComponent(uid)}`}>Back to sign-in</Link> : null}
            <Link to="/">Go to the portal</Link>
          </div>
        </section>
      </Card>
    </div>
  );
}
