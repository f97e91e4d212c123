import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('names every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', PUBLIC_URL: 'ftp://x', LOG_LEVEL: 'loud', COOKIE_SECRETS: '1:short' });
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const text = e.problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'PUBLIC_URL', 'LOG_LEVEL', 'COOKIE_SECRETS']) assert.match(text, new RegExp(name));
    }
  });

  it('requires secrets and https in production', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'http://login.example.com' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        ['COOKIE_SECRETS', 'AUDIT_KEYS', 'DATA_ENCRYPTION_KEYS', 'PUBLIC_URL'].every((v) => e.problems.some((p) => p.startsWith(`${v}:`))),
    );
    const ok = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://login.example.com/',
      COOKIE_SECRETS: '2:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      AUDIT_KEYS: '1:cccccccccccccccccccccccccccccccccc',
      DATA_ENCRYPTION_KEYS: '3:dddddddddddddddddddddddddddddddddd',
    });
    assert.deepEqual(ok.auditKeys, { 1: 'cccccccccccccccccccccccccccccccccc' });
    assert.deepEqual(ok.dataEncryptionKeys, { 3: 'dddddddddddddddddddddddddddddddddd' });
    assert.equal(ok.federationAllowPrivate, false);
    assert.equal(ok.issuer, 'https://login.example.com/oauth');
    assert.equal(ok.secureCookies, true);
    assert.deepEqual(Object.keys(ok.cookieSecrets).sort(), ['1', '2']);
  });

  it('in development, generates a secret once beside the database and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portal-config-'));
    try {
      const env = { DATABASE_URL: `sqlite:${join(dir, 'db', 'portal.db')}` };
      const first = loadConfig(env);
      assert.ok(first.generatedSecretFile, 'says it generated one');
      assert.equal(statSync(first.generatedSecretFile).mode & 0o777, 0o600);
      const second = loadConfig(env);
      assert.equal(second.generatedSecretFile, undefined, 'reused, not regenerated');
      assert.deepEqual(second.cookieSecrets, first.cookieSecrets);
      assert.deepEqual(second.auditKeys, first.auditKeys);
      assert.deepEqual(second.dataEncryptionKeys, first.dataEncryptionKeys);
      assert.equal(new Set([first.cookieSecrets[1], first.auditKeys[1], first.dataEncryptionKeys[1]]).size, 3, 'three different secrets');
      assert.match(readFileSync(join(dir, 'db', 'portal.secrets.json'), 'utf8'), /cookieSecrets/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults to SQLite under ./data on port 3000', () => {
    // Every secret given, so nothing is generated into the real ./data.
    const c = loadConfig({
      COOKIE_SECRETS: '1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      AUDIT_KEYS: '1:cccccccccccccccccccccccccccccccccc',
      DATA_ENCRYPTION_KEYS: '1:dddddddddddddddddddddddddddddddddd',
    });
    assert.equal(c.databaseUrl, 'sqlite:./data/portal.db');
    assert.equal(c.port, 3000);
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.secureCookies, false);
  });
});
