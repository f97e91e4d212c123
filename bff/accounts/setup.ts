/**
 * First-run setup: a fresh database with no admin gets a one-time link to the
 * screen that creates the first admin. Only a hash of the token is stored, and
 * it is taken atomically, so the link works once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import type { Store } from '../store/store.ts';
import { parse } from '../http/validate.ts';
import { badRequest, gone } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { createAccount } from './accounts.ts';
import { emailProblem } from './email.ts';
import { passwordProblem } from './passwords.ts';

/** One setting per printed link, so instances starting together each print a link that works. */
const keyFor = (token: string) => `setup_token:${hashToken(token)}`;
const TTL_MS = 24 * 3600 * 1000;
const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

/**
 * Returns null when an admin exists; otherwise a fresh one-time link (valid 24 hours). Every link
 * stops working as soon as any of them has created the first admin.
 */
export async function createSetupLink(store: Store, publicUrl: string, now: number): Promise<string | null> {
  if ((await store.users.countAdmins()) > 0) return null;
  const token = randomBytes(24).toString('base64url');
  await store.settings.set(keyFor(token), String(now + TTL_MS));
  return `${publicUrl}/setup#token=${token}`;
}

async function validStored(store: Store, token: string, now: number): Promise<{ key: string; value: string } | null> {
  if (typeof token !== 'string' || !token) return null;
  const key = keyFor(token);
  const value = await store.settings.get(key);
  if (!value || Number(value) <= now) return null;
  if ((await store.users.countAdmins()) > 0) return null;
  return { key, value };
}

const INVALID =
  'This setup link has already been used or has expired. Restart the portal, or run `npx portal setup-link`, to get a new link (only while no administrator exists).';

const body = z.object({
  token: z.string().min(1).max(200),
  email: z.string().max(320),
  name: z.string().max(200).optional(),
  password: z.string().max(4096),
});

export function setupRoutes(deps: Deps): Router {
  const r = Router();
  r.get('/setup', async (req, res) => {
    const ok = await validStored(deps.store, String(req.query.token ?? ''), deps.now());
    if (!ok) throw gone('setup_token_invalid', INVALID);
    res.json({ valid: true });
  });

  r.post('/setup', async (req, res) => {
    const b = parse(body, req.body);
    const fields: Record<string, string> = {};
    const e = emailProblem(b.email);
    if (e) fields.email = e;
    const p = passwordProblem(b.password, b.email);
    if (p) fields.password = p;
    if (Object.keys(fields).length) throw badRequest(fields.email ? 'invalid_email' : 'weak_password', Object.values(fields)[0]!, fields);

    const stored = await validStored(deps.store, b.token, deps.now());
    // takeIf makes the link single-use even when two requests race.
    if (!stored || !(await deps.store.settings.takeIf(stored.key, stored.value))) throw gone('setup_token_invalid', INVALID);
    try {
      const user = await createAccount(deps.store, { email: b.email, password: b.password, name: b.name, role: 'admin', emailVerified: true }, deps.now());
      await deps.audit.record('user_created', {
        actorId: user.id,
        subjectId: user.id,
        ip: clientIp(req),
        userAgent: req.get('user-agent') ?? null,
        data: { role: 'admin', via: 'setup' },
      });
      res.json({ ok: true });
    } catch (err) {
      await deps.store.settings.set(stored.key, stored.value);
      throw err;
    }
  });
  return r;
}
