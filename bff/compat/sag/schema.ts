/** SaG's AuthCodeRequest data contract (every field required, all strings). */
import { z } from 'zod';
import { REQUEST_NS } from './map.ts';

export const FIELDS = ['ClientId', 'ClientSecret', 'Username', 'Password'] as const;

export const AUTH_CODE_REQUEST_XML = { root: 'AuthCodeRequest', namespace: REQUEST_NS };

/** Messages read after the field name: "Password is required." */
const required = (max: number) => z.string({ message: 'is required.' }).min(1, 'is required.').max(max, 'is too long.');

export const authCodeRequest = z.object({
  ClientId: required(200),
  ClientSecret: required(1024),
  Username: required(320),
  Password: required(4096),
});
export type AuthCodeRequest = z.infer<typeof authCodeRequest>;
