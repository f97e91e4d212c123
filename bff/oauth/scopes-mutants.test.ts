/**
 * The scopes the portal understands (scopes.ts), pinned where mutation
 * testing (docs/mutation.md) needs it: the exact list in its order, the
 * sentence the consent screen shows for each and which one cannot be
 * unticked, what an unknown scope is shown as, and the standard claims each
 * scope releases. Pure data and one lookup: no app, no database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS, describeScope, SCOPE_NAMES, SCOPES } from './scopes.ts';

describe('scopes', () => {
  it('lists exactly these scopes, in this order, with the consent screen words; only openid is required', () => {
    assert.deepEqual(SCOPES, [
      { name: 'openid', description: 'Confirm who you are (your Portal account identifier)', required: true },
      { name: 'profile', description: 'See your name', required: false },
      { name: 'email', description: 'See your email address', required: false },
      { name: 'offline_access', description: 'Stay connected while you are away, without asking you to sign in again', required: false },
      { name: 'basic', description: 'Use the partner API on your behalf with basic access', required: false },
    ]);
    assert.deepEqual(SCOPE_NAMES, ['openid', 'profile', 'email', 'offline_access', 'basic']);
  });

  it('describes each known scope by its entry, and an unknown one by its name, not required', () => {
    for (const s of SCOPES) assert.equal(describeScope(s.name), s);
    assert.deepEqual(describeScope('orders:read'), { name: 'orders:read', description: 'orders:read', required: false });
    assert.deepEqual(describeScope(''), { name: '', description: '', required: false });
    assert.deepEqual(describeScope('OPENID'), { name: 'OPENID', description: 'OPENID', required: false });
  });

  it('releases exactly these claims per scope', () => {
    assert.deepEqual(CLAIMS, { openid: ['sub'], profile: ['name', 'updated_at'], email: ['email', 'email_verified'] });
  });
});
