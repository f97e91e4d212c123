import { lazy, Suspense } from 'react';
import type { ComponentType, LazyExoticComponent } from 'react';
import { createBrowserRouter } from 'react-router';
import type { RouteObject } from 'react-router';
import { Spinner } from '../components/ui/spinner.tsx';
import { HomePage } from '../features/home/home-page.tsx';
import { InteractionPage } from '../features/interaction/interaction-page.tsx';
import { RouteErrorPage } from './error-boundary.tsx';
import { Layout } from './layout.tsx';
import { NotFoundPage } from './not-found-page.tsx';

// Sign-in (home, interaction) is in the first bundle; every other screen is its own chunk, fetched when
// visited, so a person signing in downloads none of the admin or account code.
const AccountPage = lazy(() => import('../features/account/account-page.tsx').then((m) => ({ default: m.AccountPage })));
const SetupPage = lazy(() => import('../features/setup/setup-page.tsx').then((m) => ({ default: m.SetupPage })));
const FederationErrorPage = lazy(() => import('../features/federation/federation-error-page.tsx').then((m) => ({ default: m.FederationErrorPage })));
const AdminClientsPage = lazy(() => import('../features/admin-clients/admin-clients-page.tsx').then((m) => ({ default: m.AdminClientsPage })));
const AdminConnectionsPage = lazy(() => import('../features/admin-connections/admin-connections-page.tsx').then((m) => ({ default: m.AdminConnectionsPage })));
const AdminImpersonatePage = lazy(() => import('../features/admin-impersonate/admin-impersonate-page.tsx').then((m) => ({ default: m.AdminImpersonatePage })));
const ForgotPasswordPage = lazy(() => import('../features/password-reset/forgot-password-page.tsx').then((m) => ({ default: m.ForgotPasswordPage })));
const ResetPasswordPage = lazy(() => import('../features/password-reset/reset-password-page.tsx').then((m) => ({ default: m.ResetPasswordPage })));
const VerifyEmailPage = lazy(() => import('../features/verify-email/verify-email-page.tsx').then((m) => ({ default: m.VerifyEmailPage })));
const AcceptInvitePage = lazy(() => import('../features/password-reset/accept-invite-page.tsx').then((m) => ({ default: m.AcceptInvitePage })));
const AdminApiRoutesPage = lazy(() => import('../features/admin-api-routes/admin-api-routes-page.tsx').then((m) => ({ default: m.AdminApiRoutesPage })));
const AdminResourcesPage = lazy(() => import('../features/admin-resources/admin-resources-page.tsx').then((m) => ({ default: m.AdminResourcesPage })));
const DevicePage = lazy(() => import('../features/device/device-page.tsx').then((m) => ({ default: m.DevicePage })));
const AdminDashboardPage = lazy(() => import('../features/admin-dashboard/admin-dashboard-page.tsx').then((m) => ({ default: m.AdminDashboardPage })));
const AdminOrganizationsPage = lazy(() =>
  import('../features/admin-organizations/admin-organizations-page.tsx').then((m) => ({ default: m.AdminOrganizationsPage })),
);
const OrganizationPage = lazy(() => import('../features/admin-organizations/organization-page.tsx').then((m) => ({ default: m.OrganizationPage })));
const AdminUsersPage = lazy(() => import('../features/admin-users/admin-users-page.tsx').then((m) => ({ default: m.AdminUsersPage })));
const AdminUserPage = lazy(() => import('../features/admin-users/admin-user-page.tsx').then((m) => ({ default: m.AdminUserPage })));
const AdminBrandingPage = lazy(() => import('../features/admin-branding/admin-branding-page.tsx').then((m) => ({ default: m.AdminBrandingPage })));
const AdminAuditPage = lazy(() => import('../features/admin-audit/admin-audit-page.tsx').then((m) => ({ default: m.AdminAuditPage })));

function onDemand(Screen: LazyExoticComponent<ComponentType>) {
  return (
    <Suspense fallback={<Spinner label="Loading…" />}>
      <Screen />
    </Suspense>
  );
}

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteErrorPage />,
    children: [
      { index: true, element: <HomePage /> },
      { path: 'interaction/:uid', element: <InteractionPage /> },
      { path: 'account', element: onDemand(AccountPage) },
      { path: 'setup', element: onDemand(SetupPage) },
      { path: 'admin', element: onDemand(AdminDashboardPage) },
      { path: 'admin/organizations', element: onDemand(AdminOrganizationsPage) },
      { path: 'admin/organizations/:orgId', element: onDemand(OrganizationPage) },
      { path: 'admin/branding', element: onDemand(AdminBrandingPage) },
      { path: 'admin/clients', element: onDemand(AdminClientsPage) },
      { path: 'admin/connections', element: onDemand(AdminConnectionsPage) },
      { path: 'federation/error', element: onDemand(FederationErrorPage) },
      { path: 'admin/impersonate', element: onDemand(AdminImpersonatePage) },
      { path: 'admin/audit', element: onDemand(AdminAuditPage) },
      { path: 'admin/users', element: onDemand(AdminUsersPage) },
      { path: 'admin/users/:id', element: onDemand(AdminUserPage) },
      { path: 'forgot-password', element: onDemand(ForgotPasswordPage) },
      { path: 'reset-password', element: onDemand(ResetPasswordPage) },
      { path: 'verify-email', element: onDemand(VerifyEmailPage) },
      { path: 'accept-invite', element: onDemand(AcceptInvitePage) },
      { path: 'device', element: onDemand(DevicePage) },
      { path: 'admin/resources', element: onDemand(AdminResourcesPage) },
      { path: 'admin/api-routes', element: onDemand(AdminApiRoutesPage) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
