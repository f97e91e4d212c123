/**
 * The `portal` command. Prints JSON on success; a clear message and a non-zero
 * exit on bad input. Honours DATABASE_URL like the server.
 */
import { parseArgs } from 'node:util';
import { createWriteStream, readFileSync } from 'node:fs';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { AppError } from './http/errors.ts';
import { createAccount, publicUser } from './accounts/accounts.ts';
import { normaliseEmail } from './accounts/email.ts';
import { createAudit } from './audit/audit.ts';
import { createCheckpoint, parseCheckpoint, rekeyPlainEntries, verifyChain } from './audit/verify.ts';
import { sealStoredSecrets, secretsAtRest } from './oauth/secrets-at-rest.ts';
import { publicClient, registerClient, rotateClientSecret } from './oauth/clients.ts';
import { rotateSigningKey } from './oauth/keys.ts';
import { CLIENT_UPDATE_USAGE, runClientUpdate } from './admin/client-cli.ts';
import { SESSION_CHANNEL } from './session/sessions.ts';
import { revokeOtherAccess } from './accounts/revoke.ts';
import { createSetupLink } from './accounts/setup.ts';
import { setUsername, usernameProblem } from './accounts/usernames.ts';
import { ORG_USAGE, runOrgCommand } from './orgs/cli.ts';
import { CONNECTION_USAGE, runConnectionCommand } from './federation/cli.ts';
import { USER_MAIL_USAGE, runUserMailCommand } from './accounts/cli.ts';
import { MACHINE_CLI_OPTIONS, RESOURCE_USAGE, clientOptionsFrom, createMachineClient, runResourceCommand } from './admin/machine-cli.ts';
import { MFA_USAGE, resetMfa } from './mfa/cli.ts';
import { API_ROUTE_CLI_OPTIONS, API_ROUTE_USAGE, runApiRouteCommand } from './gateway/cli.ts';

const USAGE = `usage: portal <command>

  user create --email E --password P [--name N] [--admin] [--username U]
  user set-username --email E --username U   (an empty U removes it)
  user list [--query Q]
  user disable --email E
  user enable --email E
${USER_MAIL_USAGE}
${MFA_USAGE}
  client create --name N --redirect-uri U [--redirect-uri U2 …] [--public] [--scope S …] [--logo-url L]
                [--default-scope S] [--access-token-ttl SECONDS] [--legacy-refresh] [--post-logout-redirect-uri U …]
${CLIENT_UPDATE_USAGE}
  client list
  client rotate-secret --client-id ID
  client delete --client-id ID
${RESOURCE_USAGE}
${API_ROUTE_USAGE}
  keys rotate [--activate-in MINUTES]   (default 60)
  keys reencrypt                        (after adding a DATA_ENCRYPTION_KEYS id)
  audit verify [--since CHECKPOINT]     (checkpoint JSON, or a file holding it)
  audit checkpoint                      (keep its output outside the database)
  audit rekey                           (once, for a log from before AUDIT_KEYS)
  audit export [--out FILE]
  setup-link
${ORG_USAGE}
${CONNECTION_USAGE}

Environment: DATABASE_URL (default sqlite:./data/portal.db), PUBLIC_URL, AUDIT_KEYS, DATA_ENCRYPTION_KEYS.`;

class UsageError extends Error {}

function out(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

type Opts = Record<string, string | boolean | string[] | undefined>;

function need(opts: Opts, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

async function run(argv: string[], store: Store, config: Config): Promise<number> {
  const [group, action] = argv;
  const { values: opts } = parseArgs({
    args: argv.slice(2),
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean' },
      username: { type: 'string' },
      mail: { type: 'boolean' },
      print: { type: 'boolean' },
      query: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean' },
      scope: { type: 'string', multiple: true },
      'logo-url': { type: 'string' },
      'default-scope': { type: 'string' },
      'access-token-ttl': { type: 'string' },
      'legacy-refresh': { type: 'boolean' },
      'no-legacy-refresh': { type: 'boolean' },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'client-id': { type: 'string' },
      'activate-in': { type: 'string' },
      out: { type: 'string' },
      org: { type: 'string' },
      role: { type: 'string' },
      issuer: { type: 'string' },
      'client-secret': { type: 'string' },
      domain: { type: 'string', multiple: true },
      id: { type: 'string' },
      since: { type: 'string' },
      ...MACHINE_CLI_OPTIONS,
      ...API_ROUTE_CLI_OPTIONS,
    },
    strict: true,
    allowPositionals: false,
  }) as { values: Opts };
  const now = Date.now();
  const audit = createAudit(store, Date.now, config.auditKeys);
  const cmd = `${group ?? ''} ${action ?? ''}`.trim();

  switch (cmd) {
    case 'user create': {
      const username = opts.username as string | undefined;
      // Checked before the account exists, so a bad username creates nothing.
      const problem = username === undefined ? null : usernameProblem(username);
      if (problem) throw new UsageError(problem);
      let user = await createAccount(
        store,
        {
          email: need(opts, 'email'),
          password: need(opts, 'password'),
          name: opts.name as string | undefined,
          role: opts.admin ? 'admin' : 'user',
          emailVerified: true,
        },
        now,
      );
      if (username !== undefined) user = await setUsername(store, user.id, username, now);
      await audit.record('user_created', { subjectId: user.id, data: { role: user.role, via: 'cli', ...(user.username ? { username: user.username } : {}) } });
      out(publicUser(user));
      return 0;
    }
    case 'user set-username': {
      const email = normaliseEmail(need(opts, 'email'));
      const found = await store.users.findByEmail(email);
      if (!found) throw new UsageError(`no user with the email ${email}`);
      if (typeof opts.username !== 'string') throw new UsageError('--username is required (an empty one removes it)');
      const user = await setUsername(store, found.id, opts.username, now);
      await audit.record('username_set', { subjectId: user.id, data: { username: user.username ?? null, via: 'cli' } });
      out(publicUser(user));
      return 0;
    }
    case 'user list':
      out((await store.users.list({ query: opts.query as string | undefined, limit: 1000 })).map(publicUser));
      return 0;
    case 'user disable':
    case 'user enable': {
      const email = normaliseEmail(need(opts, 'email'));
      const user = await store.users.findByEmail(email);
      if (!user) throw new UsageError(`no user with the email ${email}`);
      const disabled = action === 'disable';
      await store.users.setDisabled(user.id, disabled, now);
      await audit.record(disabled ? 'user_disabled' : 'user_enabled', { subjectId: user.id, data: { via: 'cli' } });
      if (disabled) {
        // As the admin screen does: out at once, everywhere. Every BFF session, provider session and
        // partner grant ends, and partners with a back-channel logout URI are told through the outbox
        // (a running portal delivers it).
        const revoked = await revokeOtherAccess(store, user.id, {}, async (userId) => {
          const n = await store.bffSessions.revokeAllForUser(userId, now);
          // Running portals drop their cached copies of this user's sessions at once.
          await store.events.publish(SESSION_CHANNEL, `user:${userId}`);
          return n;
        });
        await audit.record('sessions_revoked', { subjectId: user.id, data: { reason: 'user_disabled', via: 'cli', ...revoked } });
      }
      out(publicUser((await store.users.findById(user.id))!));
      return 0;
    }
    case 'client create': {
      if (opts.machine === true) {
        out(await createMachineClient(opts, { store, audit, now }));
        return 0;
      }
      const defaultScope = (opts['default-scope'] as string | undefined)?.split(/\s+/).filter(Boolean) ?? [];
      const ttl = opts['access-token-ttl'] as string | undefined;
      const { client, secret } = await registerClient(
        store,
        {
          name: need(opts, 'name'),
          redirectUris: (opts['redirect-uri'] as string[] | undefined) ?? [],
          isPublic: Boolean(opts.public),
          // Without --scope, the usual set plus whatever the default scope names.
          scopes: (opts.scope as string[] | undefined) ?? ['openid', 'profile', 'email', 'offline_access', ...defaultScope],
          logoUrl: opts['logo-url'] as string | undefined,
          defaultScope,
          accessTokenTtl: ttl === undefined ? null : Number(ttl),
          legacyRefresh: opts['legacy-refresh'] === true,
          postLogoutRedirectUris: opts['post-logout-redirect-uri'] as string[] | undefined,
          options: clientOptionsFrom(opts),
        },
        now,
      );
      await audit.record('client_registered', {
        data: { clientId: client.clientId, name: client.name, public: secret === null, legacyRefresh: client.legacyRefresh === true, via: 'cli' },
      });
      out({
        client_id: client.clientId,
        ...(secret ? { client_secret: secret } : {}),
        name: client.name,
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: client.postLogoutRedirectUris,
        scopes: client.scopes,
        default_scope: client.defaultScope ?? null,
        access_token_ttl: client.accessTokenTtl ?? null,
        legacy_refresh: client.legacyRefresh === true,
      });
      return 0;
    }
    case 'client update':
      out(await runClientUpdate(opts, { store, audit }));
      return 0;
    case 'client list':
      out((await store.clients.list()).filter((c) => !c.firstParty).map(publicClient));
      return 0;
    case 'client rotate-secret': {
      const id = need(opts, 'client-id');
      const secret = await rotateClientSecret(store, id);
      await audit.record('client_secret_rotated', { data: { clientId: id, via: 'cli' } });
      out({ client_id: id, client_secret: secret });
      return 0;
    }
    case 'client delete': {
      const id = need(opts, 'client-id');
      const c = await store.clients.find(id);
      if (!c || c.firstParty || !(await store.clients.delete(id))) throw new UsageError(`no partner app with client id ${id}`);
      await audit.record('client_deleted', { data: { clientId: id, via: 'cli' } });
      out({ deleted: id });
      return 0;
    }
    case 'keys rotate': {
      const minutes = opts['activate-in'] === undefined ? 60 : Number(opts['activate-in']);
      if (!Number.isInteger(minutes) || minutes < 0 || minutes > 7 * 24 * 60) throw new UsageError('--activate-in takes whole minutes from 0 to 10080');
      const key = await rotateSigningKey(store, now + minutes * 60_000);
      await audit.record('signing_key_added', { data: { kid: key.kid, activatesAt: key.createdAt, via: 'cli' } });
      out({
        kid: key.kid,
        alg: key.alg,
        activates_at: new Date(key.createdAt).toISOString(),
        note: `restart every instance within ${minutes} minutes: each then publishes the new key, and instances started after ${new Date(key.createdAt).toISOString()} sign with it; the old key keeps verifying, so nobody is signed out`,
      });
      return 0;
    }
    case 'keys reencrypt': {
      const counts = await sealStoredSecrets(store, config.dataEncryptionKeys, { reencrypt: true });
      await audit.record('secrets_reencrypted', { data: { ...counts, via: 'cli' } });
      out({ reencrypted: counts });
      return 0;
    }
    case 'audit rekey': {
      const r = await rekeyPlainEntries(store, config.auditKeys);
      if ('reason' in r) {
        process.stderr.write(`portal: not re-keyed: ${r.reason}\n`);
        return 1;
      }
      out(r);
      return 0;
    }
    case 'audit checkpoint':
      out(await createCheckpoint(store, config.auditKeys, now));
      return 0;
    case 'audit verify': {
      const since = opts.since as string | undefined;
      let checkpoint;
      try {
        checkpoint = since === undefined ? undefined : parseCheckpoint(since.trim().startsWith('{') ? since : readFileSync(since, 'utf8'));
      } catch (e) {
        throw new UsageError(`--since: ${(e as { code?: string }).code === 'ENOENT' ? `no such file ${since}` : (e as Error).message}`);
      }
      const r = await verifyChain(store, config.auditKeys, { since: checkpoint });
      if (r.ok) {
        out({ ok: true, entries: r.count });
        return 0;
      }
      process.stderr.write(`audit chain broken at entry ${r.badSeq}: ${r.reason}\n`);
      out({ ok: false, entries: r.count, firstBadEntry: r.badSeq, reason: r.reason });
      return 1;
    }
    case 'audit export': {
      const file = opts.out as string | undefined;
      const stream = file ? createWriteStream(file) : process.stdout;
      let from = 1;
      for (;;) {
        const page = await store.audit.iterate(from, 500);
        if (!page.length) break;
        for (const e of page) stream.write(JSON.stringify(e) + '\n');
        from = page[page.length - 1]!.seq + 1;
      }
      if (file) await new Promise<void>((r) => (stream as NodeJS.WritableStream).end(() => r()));
      return 0;
    }
    case 'setup-link': {
      const link = await createSetupLink(store, config.publicUrl, now);
      if (!link) throw new UsageError('an administrator already exists; no setup link is needed');
      out({ link });
      return 0;
    }
    case 'user reset-link':
    case 'user invite':
      out(await runUserMailCommand(action!, opts, { store, audit, config, now }));
      return 0;
    case 'user reset-mfa':
      out(await resetMfa({ store, audit }, opts));
      return 0;
    case 'org create':
    case 'org list':
    case 'org invite':
      out(await runOrgCommand(action!, opts, { store, audit, config, now }));
      return 0;
    case 'resource create':
    case 'resource list':
    case 'resource delete':
      out(await runResourceCommand(action!, opts, { store, audit, now }));
      return 0;
    case 'api-route create':
    case 'api-route list':
    case 'api-route delete':
      out(await runApiRouteCommand(action!, opts, { store, audit, now }));
      return 0;
    case 'connection create':
    case 'connection list':
    case 'connection delete':
      out(await runConnectionCommand(action!, opts, { store, audit, now, cookieSecrets: config.cookieSecrets, allowPrivate: config.federationAllowPrivate }));
      return 0;
    default:
      throw new UsageError(cmd ? `unknown command: ${cmd}` : 'a command is required');
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(USAGE + '\n');
    process.exit(argv.length === 0 ? 2 : 0);
  }
  let store: Store | undefined;
  let code: number;
  try {
    const config = loadConfig();
    store = await openStore(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs });
    await store.migrate();
    // As the server does at start: nothing stays in clear at rest.
    const sealed = secretsAtRest(store, config.dataEncryptionKeys);
    await sealStoredSecrets(sealed, config.dataEncryptionKeys);
    code = await run(argv, sealed, config);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`portal: ${(e as Error).message}\n\n${USAGE}\n`);
      code = 2;
    } else if (e instanceof AppError) {
      process.stderr.write(`portal: ${e.message}\n`);
      if (e.fields) for (const [k, v] of Object.entries(e.fields)) process.stderr.write(`  ${k}: ${v}\n`);
      code = 1;
    } else if (e instanceof ConfigError) {
      process.stderr.write(`portal: ${e.message}\n`);
      code = 2;
    } else {
      process.stderr.write(`portal: ${e instanceof Error ? e.message : String(e)}\n`);
      code = 1;
    }
  } finally {
    await store?.close().catch(() => {});
  }
  process.exit(code);
}

await main();
