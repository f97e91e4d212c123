/**
 * SaG's AuthCodeRequest data contract (every field required, all strings), plus
 * two optional fields of the portal's own (docs/compat-sag.md): `RedirectUri`
 * and `Scope`. A data contract ignores members it does not know, so SaG clients
 * that never send them are unaffected.
 */
import { z } from 'zod';
import { REQUEST_NS } from './map.ts';

/** Where SaG clients post an AuthCodeRequest. */
export const PATH = '/admin/login/auth_code';

export const FIELDS = ['ClientId', 'ClientSecret', 'Username', 'Password', 'RedirectUri', 'Scope'] as const;

export const AUTH_CODE_REQUEST_XML = { root: 'AuthCodeRequest', namespace: REQUEST_NS };

/** Messages read after the field name: "Password is required." */
const required = (max: number) => z.string({ message: 'is required.' }).min(1, 'is required.').max(max, 'is too long.');

export const authCodeRequest = z.object({
  ClientId: required(200),
  ClientSecret: required(1024),
  Username: required(320),
  Password: required(4096),
  /** One of the client's registered redirect URIs; absent, null or empty: the first one. */
  RedirectUri: z.string({ message: 'must be a string.' }).max(2000, 'is too long.').nullish(),
  /** Space-separated scopes, each one the client has; absent, null or empty: all of them. */
  Scope: z.string({ message: 'must be a string.' }).max(1000, 'is too long.').nullish(),
});
export type AuthCodeRequest = z.infer<typeof authCodeRequest>;
