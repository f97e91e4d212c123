/**
 * The test harness itself: a start that fails (a database that cannot be reached, a migration
 * timing out under load) closes what it opened. Before, the listening server it had opened kept
 * the test file's process alive after its tests, and `npm run test:bff` waited for ever.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from './test-app.ts';

it('a failed start leaves nothing open, so this file ends', async () => {
  await assert.rejects(startTestApp({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test', env: { DATABASE_TIMEOUT_MS: '300' } }));
});
