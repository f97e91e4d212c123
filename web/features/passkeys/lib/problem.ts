import { isApiError } from '../../../lib/api-client.ts';
import { browserProblem } from './webauthn.ts';

/** What to tell the person: the portal's own sentence, or words for what the browser did. */
export function passkeyProblem(error: unknown): string {
  return isApiError(error) ? error.message : browserProblem(error);
}
