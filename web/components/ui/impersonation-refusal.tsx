import { Alert } from './alert.tsx';

/** Admin screens say *why* they are refused while impersonating, not just "admins only". */
export function ImpersonationRefusal({ message }: { message?: string }) {
  return (
    <Alert tone="error" title="Not available while impersonating">
      <p>{message ?? 'Admin screens are not available while you impersonate a user. Stop impersonating first.'}</p>
    </Alert>
  );
}
