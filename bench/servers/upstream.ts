/**
 * The API behind the gateway (bff/testing/upstream-api.ts), in a process of its own like the
 * portal: it verifies every bearer JWT against the portal's JWKS, audience and scope.
 */
import { serve } from '../ipc.ts';
import { startUpstreamApi } from '../../bff/testing/upstream-api.ts';

serve({
  setup: async ({ issuer, audience, scope }: { issuer: string; audience: string; scope: string }) => ({
    url: (await startUpstreamApi({ issuer, audience, scope })).url,
  }),
  meter: () => {
    const { user, system } = process.cpuUsage();
    return { statements: 0, transactions: 0, cpuMicros: user + system };
  },
});
