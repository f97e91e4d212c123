/** Federation's part of GET /bff/interaction/:uid, declared with the interaction (api/interaction.ts). */
export type { ConnectionKind, ConnectionSummary, PendingLink } from '../../../../api/interaction.ts';
