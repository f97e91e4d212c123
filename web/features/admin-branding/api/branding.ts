import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiRequest } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

/** The upload's size cap (bff/branding/logo.ts), said before the file is sent. */
export const LOGO_MAX_KB = 256;

export interface Branding {
  portalName: string;
  logoUrl: string | null;
  primaryColour: string;
  supportEmail: string | null;
  /** The version a save must name. */
  updatedAt: number;
}

const key = ['admin', 'branding'] as const;

export function brandingQueryOptions() {
  return queryOptions({ queryKey: key, queryFn: ({ signal }) => apiGet<{ branding: Branding; defaults: Branding }>('/bff/admin/branding', { signal }) });
}

export const useBranding = () => useQuery(brandingQueryOptions());

export function useSaveBranding() {
  const queryClient = useQueryClient();
  return useMutation<{ branding: Branding }, ApiError, Branding>({
    mutationFn: (b) => apiRequest<{ branding: Branding }>('PUT', '/bff/admin/branding', { body: b }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}

/** Uploads an image (PNG, JPEG or WebP); answers the address to save as the logo. */
export function useUploadLogo() {
  return useMutation<{ logoUrl: string }, ApiError, File>({
    mutationFn: (file) => apiRequest<{ logoUrl: string }>('PUT', '/bff/admin/branding/logo', { file }),
  });
}
