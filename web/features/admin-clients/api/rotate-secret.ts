import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import type { CreatedClient } from './create-client.ts';

/** A new secret for a confidential partner app; the old one stops working at once. */
export function rotateSecret(clientId: string): Promise<Required<CreatedClient>> {
  return apiPost<Required<CreatedClient>>(`/bff/admin/clients/${segment(clientId)}/secret`);
}

export function useRotateSecret() {
  return useMutation<Required<CreatedClient>, ApiError, string>({ mutationFn: rotateSecret });
}
