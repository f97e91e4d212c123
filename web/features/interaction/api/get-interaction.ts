import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet, segment } from '../../../lib/api-client.ts';
import { INTERACTION_DATA_ID, type Interaction } from '../../../../api/interaction.ts';

export type { Interaction, InteractionClient, InteractionScope, ScreenInteraction } from '../../../../api/interaction.ts';

export function getInteraction(uid: string, signal?: AbortSignal): Promise<Interaction> {
  return apiGet<Interaction>(`/bff/interaction/${segment(uid)}`, { signal });
}

/**
 * The answer of GET /bff/interaction/:uid that the BFF put in this page's HTML (bff/http/spa.ts),
 * taken once: for this uid only, and never again after (a later read asks the BFF).
 */
export function takeEmbeddedInteraction(uid: string): Interaction | undefined {
  const element = document.getElementById(INTERACTION_DATA_ID);
  if (element === null) return undefined;
  element.remove();
  try {
    const data = JSON.parse(element.textContent ?? '') as Interaction;
    return data.uid === uid ? data : undefined;
  } catch {
    return undefined;
  }
}

export function interactionQueryOptions(uid: string) {
  return queryOptions({
    queryKey: ['interaction', uid],
    queryFn: ({ signal }) => getInteraction(uid, signal),
    // Read when the query is first made: the first screen shows without a fetch.
    initialData: () => takeEmbeddedInteraction(uid),
    // The interaction only changes when this page acts on it; a refetch on
    // focus would only risk swapping the form out from under the user.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useInteraction(uid: string) {
  return useQuery(interactionQueryOptions(uid));
}
