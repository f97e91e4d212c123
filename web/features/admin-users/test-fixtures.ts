import type { FakeBff } from '../../test/fake-bff.ts';
import type { AdminUser, LinkedIdentity } from './api/users.ts';

/** A person as the user page shows them; override what a test is about. */
export const person = (over: Partial<AdminUser> = {}): AdminUser => ({
  id: 'u1',
  email: 'sam@example.com',
  name: 'Sam',
  role: 'user',
  disabled: false,
  emailVerified: true,
  hasPassword: true,
  createdAt: 1,
  updatedAt: 1,
  lastSignInAt: null,
  username: null,
  mustChangePassword: false,
  ...over,
});

/** What /admin/users/u1 reads: a signed-in admin, the person (with their identities), an empty audit trail. */
export function answerUserPage(bff: FakeBff, user: AdminUser, identities: LinkedIdentity[] = []): void {
  bff.answers['GET /bff/session'] = () => ({
    body: {
      authenticated: true,
      user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin' },
      expiresAt: Date.now() + 3_600_000,
      impersonation: null,
    },
  });
  bff.answers[`GET /bff/admin/users/${user.id}`] = () => ({ body: { user, sessions: [], apps: [], identities } });
  bff.answers['GET /bff/admin/audit'] = () => ({ body: { entries: [], people: {} } });
}
