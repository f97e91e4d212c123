import { lazy, Suspense } from 'react';
import { AdminPage } from '../session/components/admin-page.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { formatDateTime } from '../../lib/time.ts';
import { useAdminQueryGate } from '../session/components/use-admin-query-gate.tsx';
import { activeHours, SERIES, useActivity, type Activity } from './api/get-activity.ts';

// uPlot comes with the chart, after the numbers are on screen.
const ActivityChart = lazy(() => import('./components/activity-chart.tsx'));

const RETURN_TO = '/admin';

function Totals({ totals }: { totals: Activity['totals'] }) {
  const items = [
    ['Users', totals.users],
    ['Partner apps', totals.partnerApps],
    ['Active sessions', totals.activeSessions],
  ] as const;
  return (
    <section className="card card--wide" aria-labelledby="totals-title">
      <h2 id="totals-title">Now</h2>
      <dl className="totals">
        {items.map(([label, n]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{n.toLocaleString('en')}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function ActivityTable({ activity }: { activity: Activity }) {
  const rows = activeHours(activity);
  return (
    <details>
      <summary>Show the numbers as a table</summary>
      {rows.length === 0 ? (
        <p className="muted">Nothing happened in the last 7 days.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack" aria-label="Activity per hour">
            <caption className="muted">Hours without any activity are left out.</caption>
            <thead>
              <tr>
                <th scope="col">Hour starting</th>
                {SERIES.map((s) => (
                  <th scope="col" key={s.key}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.at}>
                  <th scope="row">{formatDateTime(r.at)}</th>
                  {r.counts.map((n, i) => (
                    <td key={SERIES[i]!.key} data-label={SERIES[i]!.label}>
                      {n}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

function Dashboard() {
  const activity = useActivity();
  const gate = useAdminQueryGate(activity, RETURN_TO, 'the console');
  if (gate || !activity.data) return gate;
  const a = activity.data;
  const sums = SERIES.map((s) => ({ ...s, total: a.series[s.key].reduce((x, y) => x + y, 0) }));
  return (
    <>
      <Totals totals={a.totals} />
      <section className="card card--wide stack" aria-labelledby="activity-title">
        <h2 id="activity-title">The last 7 days</h2>
        <ul className="legend">
          {sums.map((s) => (
            <li key={s.key}>
              <span className="legend__swatch" style={{ background: s.colour }} aria-hidden="true" /> {s.label}: {s.total.toLocaleString('en')}
            </li>
          ))}
        </ul>
        <Suspense fallback={<Spinner label="Drawing the chart…" />}>
          <ActivityChart activity={a} />
        </Suspense>
        <ActivityTable activity={a} />
      </section>
    </>
  );
}

export function AdminDashboardPage() {
  return (
    <AdminPage title="Activity" returnTo={RETURN_TO} what="the console">
      <Dashboard />
    </AdminPage>
  );
}
