import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet, segment } from '../../../lib/api-client.ts';
import type { Interaction } from '../../../../api/interaction.ts';

export type { Interaction, InteractionClient, InteractionScope, ScreenInteraction } from '../../../../api/interaction.ts';

export function getInteraction(uid: string, signal?: AbortSignal): Promise<Interaction> {
  return apiGet<Interaction>(`/bff/interaction/${segment(uid)}`, { signal });
}

export function interactionQueryOptions(uid: string) {
  return queryOptions({
    queryKey: ['interaction', uid],
    queryFn: ({ signal }) => getInteraction(uid, signal),
    // The interaction only changes when this page acts on it; a refetch on
    // focus would only risk swapping the form out from under the user.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useInteraction(uid: string) {
  return useQuery(interactionQueryOptions(uid));
}
