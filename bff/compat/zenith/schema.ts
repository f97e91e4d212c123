/**
 * The Zenith wire format: the message container every frame uses, and the
 * Data of the Auth controller's topics. Parsed with zod at the edge; nothing
 * past this file sees an unchecked value.
 */
import { z } from 'zod';

export const SUBPROTOCOL = 'ZenithJson';
export const PATH = '/Zenith';
/** Frames above this are refused by ws with close code 1009 (message too big). */
export const MAX_PAYLOAD = 64 * 1024;
/** Zenith transaction ids are 32-bit integers on the server side. */
export const MAX_TRANSACTION_ID = 2 ** 31 - 1;
const MAX_TOKEN = 16 * 1024;

/** The container fields as far as they can be echoed back, even when the rest is invalid. */
export interface Echo {
  Controller?: string;
  Topic?: string;
  TransactionID?: number;
}

export function isTransactionId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TRANSACTION_ID;
}

/** Picks what an error reply may echo: short strings and a valid TransactionID only. */
export function echoOf(msg: Record<string, unknown>): Echo {
  const echo: Echo = {};
  if (typeof msg.Controller === 'string' && msg.Controller.length <= 64) echo.Controller = msg.Controller;
  if (typeof msg.Topic === 'string' && msg.Topic.length <= 128) echo.Topic = msg.Topic;
  if (isTransactionId(msg.TransactionID)) echo.TransactionID = msg.TransactionID;
  return echo;
}

export const container = z.object({
  Controller: z.string({ message: 'Controller is required' }).min(1, 'Controller is required').max(64, 'Controller is too long'),
  Topic: z.string({ message: 'Topic is required' }).min(1, 'Topic is required').max(128, 'Topic is too long'),
  TransactionID: z
    .number({ message: 'TransactionID must be an integer' })
    .refine(isTransactionId, `TransactionID must be an integer from 0 to ${MAX_TRANSACTION_ID}`)
    .optional(),
  Action: z.string().max(32).optional(),
  Data: z.unknown().optional(),
});
export type Container = z.infer<typeof container>;

export const authTokenData = z.object({
  Provider: z.string().min(1).max(64),
  AccessToken: z.string().min(1).max(MAX_TOKEN),
});

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * AuthGrant, "an authorisation grant understood by the given Provider": the
 * authorization code alone, or, for a code issued with PKCE, the code and its
 * verifier form-encoded as /oauth/token takes them:
 * `code=<code>&code_verifier=<verifier>`. (A portal code never contains `=`.)
 */
export const authGrant = z
  .string()
  .min(1)
  .max(2048)
  .transform((value, ctx): { code: string; codeVerifier?: string } => {
    if (!value.includes('=')) return { code: value };
    const form = new URLSearchParams(value);
    const code = form.get('code');
    const verifier = form.get('code_verifier');
    const keys = [...form.keys()];
    if (!code || keys.length !== new Set(keys).size || keys.some((k) => k !== 'code' && k !== 'code_verifier')) {
      ctx.addIssue({ code: 'custom', message: 'must be a code, or code=…&code_verifier=… with each once' });
      return z.NEVER;
    }
    if (verifier !== null && !CODE_VERIFIER.test(verifier)) {
      ctx.addIssue({ code: 'custom', message: 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~' });
      return z.NEVER;
    }
    return verifier === null ? { code } : { code, codeVerifier: verifier };
  });

export const authCodeData = z.object({
  Provider: z.string().min(1).max(64),
  ClientID: z.string().min(1).max(200),
  ClientSecret: z.string().max(1024).nullish(),
  AuthGrant: authGrant,
  Scope: z.array(z.string().max(200)).max(50).nullish(),
});
export type AuthCodeData = z.infer<typeof authCodeData>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The AccessToken rule of Auth:AuthToken: when the value is valid Base-64,
 * the token is what it decodes to; otherwise it is the raw text. A JWT has
 * dots, so it is never mistaken for Base-64.
 */
export function decodeAccessToken(value: string): string {
  const v = value.trim();
  if (v.length > 0 && BASE64.test(v)) return Buffer.from(v, 'base64').toString('latin1');
  return v;
}

/**
 * `version=1.1` (the default) answers the Auth topics with `Identify`;
 * `version=2.0` and later echo the request topic, as current clients (Motif)
 * expect. Null when the value is not a version number.
 */
export function parseVersion(raw: string | null): { label: string; echoTopic: boolean } | null {
  if (raw === null || raw === '') return { label: '1.1', echoTopic: false };
  const m = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(raw);
  if (!m) return null;
  return { label: raw, echoTopic: Number(m[1]) >= 2 };
}
