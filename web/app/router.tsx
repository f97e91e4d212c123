import { createBrowserRouter } from 'react-router';
import type { RouteObject } from 'react-router';
import { AccountPage } from '../features/account/account-page.tsx';
import { AdminAuditPage } from '../features/admin-audit/admin-audit-page.tsx';
import { AdminClientsPage } from '../features/admin-clients/admin-clients-page.tsx';
import { AdminConnectionsPage } from '../features/admin-connections/admin-connections-page.tsx';
import { FederationErrorPage } from '../features/federation/federation-error-page.tsx';
import { AdminImpersonatePage } from '../features/admin-impersonate/admin-impersonate-page.tsx';
import { HomePage } from '../features/home/home-page.tsx';
import { InteractionPage } from '../features/interaction/interaction-page.tsx';
import { SetupPage } from '../features/setup/setup-page.tsx';
import { RouteErrorPage } from './error-boundary.tsx';
import { Layout } from './layout.tsx';
import { NotFoundPage } from './not-found-page.tsx';

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteErrorPage />,
    children: [
      { index: true, element: <HomePage /> },
      { path: 'interaction/:uid', element: <InteractionPage /> },
      { path: 'account', element: <AccountPage /> },
      { path: 'setup', element: <SetupPage /> },
      { path: 'admin/clients', element: <AdminClientsPage /> },
      { path: 'admin/connections', element: <AdminConnectionsPage /> },
      { path: 'federation/error', element: <FederationErrorPage /> },
      { path: 'admin/impersonate', element: <AdminImpersonatePage /> },
      { path: 'admin/audit', element: <AdminAuditPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
