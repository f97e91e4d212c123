/**
 * The `portal resource …` commands and what `portal client create` takes for
 * machine clients and private_key_jwt (issue 15). The CLI's switch calls these
 * and prints what they return as JSON.
 */
import { readFileSync } from 'node:fs';
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest } from '../http/errors.ts';
import { createResource, deleteResource, registerMachineClient } from '../oauth/machine.ts';
import { validateClientOptions, type ClientOptions, type ClientOptionsInput } from '../oauth/client-options.ts';

export const RESOURCE_USAGE = `  client create --machine --name N --scope RESOURCE_SCOPE [--scope …] [--access-token-ttl SECONDS]
                [--jwks-uri U | --jwks-file F]   (client_credentials only; a JWKS means private_key_jwt, no secret)
  client create … [--jwks-uri U | --jwks-file F] [--require-dpop] [--require-par] [--device]
                (--device: also sign people in on devices without a browser, RFC 8628)
  client create … [--backchannel-logout-uri U [--backchannel-logout-session-required]]
                (OpenID Connect Back-Channel Logout: where logout tokens are posted; https except on loopback)
  resource create --identifier URI [--name N] [--scope S …]
  resource list
  resource delete --identifier URI`;

/** parseArgs options these commands add. */
export const MACHINE_CLI_OPTIONS = {
  machine: { type: 'boolean' },
  'jwks-uri': { type: 'string' },
  'jwks-file': { type: 'string' },
  'require-dpop': { type: 'boolean' },
  'require-par': { type: 'boolean' },
  device: { type: 'boolean' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'no-backchannel-logout-session-required': { type: 'boolean' },
  identifier: { type: 'string' },
} as const;

export interface MachineCommandContext {
  store: Store;
  audit: Audit;
  now: number;
}

type Opts = Record<string, unknown>;

function need(opts: Opts, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || !v) throw badRequest('missing_option', `--${name} is required`);
  return v;
}

function readJwks(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw badRequest('invalid_jwks', `--jwks-file: ${(e as { code?: string }).code === 'ENOENT' ? `no such file ${file}` : 'not a JSON file'}`);
  }
}

function optionsInput(opts: Opts): ClientOptionsInput {
  return {
    jwks: typeof opts['jwks-file'] === 'string' ? readJwks(opts['jwks-file']) : undefined,
    jwksUri: opts['jwks-uri'] as string | undefined,
    requireDpop: opts['require-dpop'] === true,
    requirePar: opts['require-par'] === true,
    device: opts.device === true,
    backchannelLogoutUri: opts['backchannel-logout-uri'] as string | undefined,
    backchannelLogoutSessionRequired: opts['backchannel-logout-session-required'] === true,
  };
}

/** `client create` options for a people's app: private_key_jwt keys, DPoP and PAR. */
export function clientOptionsFrom(opts: Opts): ClientOptions {
  return validateClientOptions(optionsInput(opts), opts.public === true);
}

/** `client create --machine`. */
export async function createMachineClient(opts: Opts, ctx: MachineCommandContext): Promise<unknown> {
  if (opts['redirect-uri'] !== undefined || opts.public === true)
    throw badRequest('invalid_client_metadata', 'A machine client has no redirect URIs and is never public.');
  if (opts['backchannel-logout-uri'] !== undefined)
    throw badRequest('invalid_client_metadata', 'A machine client signs nobody in: it has no back-channel logout.');
  const ttl = opts['access-token-ttl'] as string | undefined;
  const { client, secret } = await registerMachineClient(
    ctx.store,
    {
      name: need(opts, 'name'),
      scopes: (opts.scope as string[] | undefined) ?? [],
      accessTokenTtl: ttl === undefined ? null : Number(ttl),
      ...optionsInput(opts),
    },
    ctx.now,
  );
  await ctx.audit.record('client_registered', {
    data: { clientId: client.clientId, name: client.name, machine: true, privateKeyJwt: secret === null, via: 'cli' },
  });
  return {
    client_id: client.clientId,
    ...(secret ? { client_secret: secret } : {}),
    name: client.name,
    machine: true,
    scopes: client.scopes,
    token_endpoint_auth_method: secret ? 'client_secret_basic' : 'private_key_jwt',
    access_token_ttl: client.accessTokenTtl ?? null,
  };
}

export async function runResourceCommand(action: string, opts: Opts, ctx: MachineCommandContext): Promise<unknown> {
  const { store, audit, now } = ctx;
  switch (action) {
    case 'create': {
      const r = await createResource(
        store,
        { identifier: need(opts, 'identifier'), name: opts.name as string | undefined, scopes: (opts.scope as string[] | undefined) ?? [] },
        now,
      );
      await audit.record('resource_created', { data: { identifier: r.identifier, scopes: r.scopes, via: 'cli' } });
      return r;
    }
    case 'list':
      return store.resources.list();
    case 'delete': {
      const identifier = need(opts, 'identifier');
      await deleteResource(store, identifier);
      await audit.record('resource_deleted', { data: { identifier, via: 'cli' } });
      return { deleted: identifier };
    }
    default:
      throw badRequest('unknown_command', `unknown command: resource ${action}`);
  }
}
