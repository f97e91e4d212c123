/**
 * Without SMTP_URL: in development each message goes to the log (with its
 * code and link) and to MAIL_DIR as an .eml file; in production mail is off,
 * sending answers mail_disabled and nothing is queued.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { simpleParser } from 'mailparser';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { loadConfig } from '../config/config.ts';
import { createMail } from './mail.ts';
import { composeContent } from './templates.ts';

const content = composeContent({
  portal: 'Portal',
  subject: 'Verify your email',
  intro: ['Welcome.'],
  code: '314159',
  link: { url: 'http://localhost:3000/verify#t=abc', label: 'Verify' },
  outro: [],
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`mail without SMTP_URL (${db})`, () => {
    let app: TestApp;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'portal-mail-'));
      app = await startTestApp({ db, env: { MAIL_DIR: dir } });
    });
    after(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('development: writes the message to the log and to MAIL_DIR as an .eml', async () => {
      const lines: Array<Record<string, unknown>> = [];
      const sink = new Writable({
        write(chunk, _e, cb) {
          lines.push(JSON.parse(String(chunk)));
          cb();
        },
      });
      const mail = createMail(app.config, app.store, pino({ level: 'info' }, sink), app.deps.now);
      assert.equal(app.config.mail.mode, 'dev');
      assert.equal(mail.enabled, true);
      await mail.send('verify', { address: 'new@example.com', name: 'New Person' }, content);
      await mail.worker!.runOnce();
      await mail.close();
      const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      assert.equal(files.length, 1);
      const parsed = await simpleParser(readFileSync(join(dir, files[0]!)));
      assert.equal(parsed.subject, 'Verify your email · Portal');
      assert.match(parsed.text ?? '', /314159/);
      assert.match(String(parsed.html), /314159/);
      const logged = lines.filter((l) => l.mailTo === 'new@example.com');
      assert.equal(logged.length, 1);
      assert.match(String(logged[0]!.devMailText), /Your code: 314159/);
      assert.match(String(logged[0]!.devMailText), /http:\/\/localhost:3000\/verify#t=abc/);
      assert.equal((await mail.health()).pending, 0);
    });

    it('production without SMTP_URL: mail is off, sending is refused and nothing is queued', async () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        PUBLIC_URL: 'https://login.example',
        COOKIE_SECRETS: app.config.cookieSecrets[1],
        AUDIT_KEYS: app.config.auditKeys[1],
        DATA_ENCRYPTION_KEYS: app.config.dataEncryptionKeys[1],
      });
      assert.equal(config.mail.mode, 'off');
      const mail = createMail(config, app.store, pino({ level: 'silent' }), app.deps.now);
      assert.equal(mail.enabled, false);
      const before = await mail.health();
      await assert.rejects(mail.send('verify', { address: 'x@example.com', name: 'X' }, content), { code: 'mail_disabled', status: 503 });
      assert.deepEqual(await mail.health(), before);
    });
  });
}
