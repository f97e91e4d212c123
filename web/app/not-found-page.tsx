import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <div className="page page--centred">
      <section className="card card--narrow" aria-labelledby="not-found-title">
        <h1 id="not-found-title">Page not found</h1>
        <p>There is nothing at this address. Check the link, or start again from the start page.</p>
        <p className="actions">
          <Link className="button button--primary" to="/">
            Go to the start page
          </Link>
        </p>
      </section>
    </div>
  );
}
