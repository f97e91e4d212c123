import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

export interface FirstAdmin {
  token: string;
  email: string;
  name: string;
  password: string;
}

export function createAdmin(admin: FirstAdmin): Promise<{ ok: true }> {
  return apiPost<{ ok: true }>('/bff/setup', admin);
}

export function useCreateAdmin() {
  return useMutation<{ ok: true }, ApiError, FirstAdmin>({
    mutationFn: createAdmin,
  });
}
