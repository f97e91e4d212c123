/**
 * The one place that reads the environment. `loadConfig(env)` validates every
 * variable with zod and throws a ConfigError naming *all* bad variables at once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

const seconds = (def: number) =>
  z.coerce.number({ message: 'must be a number of seconds' }).int('must be a whole number of seconds').positive('must be positive').default(def);

/** `id:secret,id:secret` — iron-session seals with the highest id, unseals with any. */
const secretMap = z.string().transform((raw, ctx) => {
  const out: Record<number, string> = {};
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const idx = part.indexOf(':');
    const id = Number(idx > 0 ? part.slice(0, idx) : 1);
    const secret = idx > 0 ? part.slice(idx + 1) : part;
    if (!Number.isInteger(id) || id < 1) {
      ctx.addIssue({ code: 'custom', message: 'ids must be positive integers (format id:secret,id:secret)' });
      return z.NEVER;
    }
    if (secret.length < 32) {
      ctx.addIssue({ code: 'custom', message: `secret ${id} must be at least 32 characters` });
      return z.NEVER;
    }
    out[id] = secret;
  }
  if (Object.keys(out).length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must hold at least one secret' });
    return z.NEVER;
  }
  return out;
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535, 'must be a port number').default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z
    .url({ message: 'must be an absolute http(s) URL such as https://login.example.com' })
    .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
    .refine((u) => !new URL(u).search && !new URL(u).hash, 'must not carry a query or fragment')
    .optional(),
  DATABASE_URL: z
    .string()
    .default('sqlite:./data/portal.db')
    .refine((u) => u.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(u), 'must be sqlite:<path> or postgres://…'),
  COOKIE_SECRETS: secretMap.optional(),
  AUDIT_KEYS: secretMap.optional(),
  DATA_ENCRYPTION_KEYS: secretMap.optional(),
  FEDERATION_ALLOW_PRIVATE: bool.optional(),
  TRUST_PROXY: z.coerce.number({ message: 'must be the number of trusted proxy hops (0 for none)' }).int().min(0).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ACCESS_TOKEN_TTL: seconds(600),
  ID_TOKEN_TTL: seconds(3600),
  REFRESH_TOKEN_TTL: seconds(14 * 24 * 3600),
  SESSION_TTL: seconds(14 * 24 * 3600),
  SESSION_IDLE_TTL: seconds(24 * 3600),
  CODE_TTL: seconds(30),
  REFRESH_REUSE_WINDOW: z.coerce.number({ message: 'must be a number of seconds' }).int().min(0).max(300).default(5),
  BFF_REFRESH_MARGIN: seconds(60),
  SESSION_CACHE_MS: z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(0).max(60_000).default(1000),
  DATABASE_TIMEOUT_MS: z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(50).max(120_000).default(5000),
  REVOKE_ON_PASSWORD_CHANGE: bool.optional(),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number().int().positive().default(10),
  RATE_LIMIT_WINDOW: seconds(15 * 60),
  SECURE_COOKIES: bool.optional(),
  SMTP_URL: z
    .url({ message: 'must be smtp://user:pass@host:587 or smtps://user:pass@host:465' })
    .refine((u) => /^smtps?:\/\//.test(u), 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z
    .string()
    .max(320)
    .refine((v) => !/[\r\n]/.test(v), 'must be one line')
    .optional(),
  MAIL_DIR: z.string().min(1).default('./data/mail'),
  REQUIRE_EMAIL_VERIFICATION: bool.optional(),
  SIGNUP: z.enum(['invite', 'open', 'closed'], { message: 'must be invite, open or closed' }).default('invite'),
  MFA_ADMINS: z.enum(['required', 'optional'], { message: 'must be required or optional' }).default('required'),
  MFA_USERS: z.enum(['optional', 'required'], { message: 'must be optional or required' }).default('optional'),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  /** External origin of the portal, without a trailing slash. */
  readonly publicUrl: string;
  readonly issuer: string;
  readonly databaseUrl: string;
  /** iron-session password map: highest id seals, any id unseals. */
  readonly cookieSecrets: Readonly<Record<number, string>>;
  /** Audit-log HMAC keys: the highest id keys new entries, every id verifies. */
  readonly auditKeys: Readonly<Record<number, string>>;
  /** Keys for secrets at rest (signing keys, client secrets): highest id encrypts, every id decrypts. */
  readonly dataEncryptionKeys: Readonly<Record<number, string>>;
  /** Lets federation reach loopback and private addresses (development only). */
  readonly federationAllowPrivate: boolean;
  readonly trustProxy: number;
  readonly logLevel: string;
  readonly secureCookies: boolean;
  readonly ttl: {
    readonly accessToken: number;
    readonly idToken: number;
    readonly refreshToken: number;
    readonly session: number;
    readonly sessionIdle: number;
    readonly code: number;
  };
  readonly refreshReuseWindow: number;
  readonly bffRefreshMargin: number;
  /** How long one process reuses a loaded session before reading it again (0: never). */
  readonly sessionCacheMs: number;
  /** How long a database connection, statement or lock wait may take before the request fails with 503. */
  readonly databaseTimeoutMs: number;
  /** A password change ends the user's other sessions and revokes their partner grants. */
  readonly revokeOnPasswordChange: boolean;
  readonly rateLimit: { readonly loginPerAccount: number; readonly window: number };
  /**
   * Mail (bff/mail): `smtp` delivers through SMTP_URL; `dev` writes each message to the log and
   * to `dir` as .eml; `off` (production without SMTP_URL) turns the features that need mail off.
   */
  /** An unverified account is asked for an emailed code before its sign-in completes (when mail is on). */
  readonly requireEmailVerification: boolean;
  /** Who may create an account: `open` (the sign-in screen offers it), `invite` (admins invite), `closed`. */
  readonly signup: 'invite' | 'open' | 'closed';
  /** Second factors (bff/mfa): `required` sends someone without one to set it up before their screens. */
  readonly mfa: { readonly admins: 'required' | 'optional'; readonly users: 'required' | 'optional' };
  readonly mail: { readonly mode: 'smtp' | 'dev' | 'off'; readonly smtpUrl: string | null; readonly from: string; readonly dir: string };
  /** Set when the secret was generated for development; main.ts warns about it. */
  readonly generatedSecretFile?: string;
}

/** Where a development secret lives: beside the SQLite file, or in ./data for PostgreSQL. */
function secretFileFor(databaseUrl: string): string {
  const dir = databaseUrl.startsWith('sqlite:') ? dirname(resolve(databaseUrl.slice('sqlite:'.length) || './data/portal.db')) : resolve('./data');
  return resolve(dir, 'portal.secrets.json');
}

type DevSecretName = 'cookieSecrets' | 'auditKeys' | 'dataEncryptionKeys';

function loadOrCreateDevSecret(file: string, name: DevSecretName = 'cookieSecrets'): { secrets: Record<number, string>; created: boolean } {
  const parsed = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<DevSecretName, Record<string, string>>>) : {};
  const stored = parsed[name];
  if (stored && Object.keys(stored).length) {
    const out: Record<number, string> = {};
    for (const [k, v] of Object.entries(stored)) out[Number(k)] = v;
    return { secrets: out, created: false };
  }
  mkdirSync(dirname(file), { recursive: true });
  const secrets = { 1: randomBytes(32).toString('base64url') };
  // The other secrets already in the file stay as they are.
  writeFileSync(file, JSON.stringify({ ...parsed, [name]: secrets }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secrets, created: true };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, which is what a `FOO= npm start` means.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  let cookieSecrets = e.COOKIE_SECRETS;
  let generatedSecretFile: string | undefined;
  if (!cookieSecrets) {
    if (e.NODE_ENV === 'production') {
      problems.push('COOKIE_SECRETS: required when NODE_ENV=production (format id:secret, each secret at least 32 characters)');
    } else {
      const file = secretFileFor(e.DATABASE_URL);
      const { secrets, created } = loadOrCreateDevSecret(file);
      cookieSecrets = secrets;
      if (created) generatedSecretFile = file;
    }
  }
  // Audit and encryption keys: required in production, generated beside the cookie secret otherwise.
  const devKeys = (value: Record<number, string> | undefined, variable: string, name: DevSecretName): Record<number, string> => {
    if (value) return value;
    if (e.NODE_ENV === 'production') {
      problems.push(`${variable}: required when NODE_ENV=production (format id:secret, each secret at least 32 characters)`);
      return {};
    }
    const file = secretFileFor(e.DATABASE_URL);
    const { secrets, created } = loadOrCreateDevSecret(file, name);
    if (created) generatedSecretFile = file;
    return secrets;
  };
  const auditKeys = devKeys(e.AUDIT_KEYS, 'AUDIT_KEYS', 'auditKeys');
  const dataEncryptionKeys = devKeys(e.DATA_ENCRYPTION_KEYS, 'DATA_ENCRYPTION_KEYS', 'dataEncryptionKeys');
  const https = publicUrl.startsWith('https://');
  if (e.NODE_ENV === 'production' && !https && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(publicUrl)) {
    problems.push('PUBLIC_URL: must be https:// when NODE_ENV=production');
  }
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    issuer: `${publicUrl}/oauth`,
    databaseUrl: e.DATABASE_URL,
    cookieSecrets: Object.freeze(cookieSecrets!),
    auditKeys: Object.freeze(auditKeys),
    dataEncryptionKeys: Object.freeze(dataEncryptionKeys),
    federationAllowPrivate: e.FEDERATION_ALLOW_PRIVATE ?? false,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    secureCookies: e.SECURE_COOKIES ?? https,
    ttl: Object.freeze({
      accessToken: e.ACCESS_TOKEN_TTL,
      idToken: e.ID_TOKEN_TTL,
      refreshToken: e.REFRESH_TOKEN_TTL,
      session: e.SESSION_TTL,
      sessionIdle: e.SESSION_IDLE_TTL,
      code: e.CODE_TTL,
    }),
    refreshReuseWindow: e.REFRESH_REUSE_WINDOW,
    bffRefreshMargin: e.BFF_REFRESH_MARGIN,
    sessionCacheMs: e.SESSION_CACHE_MS,
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
    revokeOnPasswordChange: e.REVOKE_ON_PASSWORD_CHANGE ?? true,
    rateLimit: Object.freeze({ loginPerAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT, window: e.RATE_LIMIT_WINDOW }),
    requireEmailVerification: e.REQUIRE_EMAIL_VERIFICATION ?? true,
    signup: e.SIGNUP,
    mfa: { admins: e.MFA_ADMINS, users: e.MFA_USERS },
    mail: Object.freeze({
      mode: e.SMTP_URL ? 'smtp' : e.NODE_ENV === 'production' ? 'off' : 'dev',
      smtpUrl: e.SMTP_URL ?? null,
      from: e.MAIL_FROM ?? `Portal <no-reply@${new URL(publicUrl).hostname}>`,
      dir: resolve(e.MAIL_DIR),
    } as const),
    generatedSecretFile,
  });
}
