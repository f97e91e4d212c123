/**
 * composeClaims (claims.ts), pinned where mutation testing (docs/mutation.md)
 * needs it: contributors run in order, each sees the same context and token,
 * later claims override earlier ones, a contributor with nothing to add adds
 * nothing, none at all is undefined, and a refusal (a throw) stops the issue.
 * A pure function: no app, no database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { composeClaims, type ClaimsContributor, type TokenFacts } from './claims.ts';

const ctx = { marker: 'the request' } as unknown as KoaContextWithOIDC;
const token: TokenFacts = { grantId: 'g1', accountId: 'a1', clientId: 'c1' };

describe('composeClaims', () => {
  it('merges every contributor in order, the later one winning a shared claim', async () => {
    const seen: string[] = [];
    const a: ClaimsContributor = async (c, t) => {
      seen.push(`a:${(c as unknown as { marker: string }).marker}:${t.grantId}`);
      return { org: 'o1', shared: 'from a' };
    };
    const b: ClaimsContributor = async (c, t) => {
      seen.push(`b:${(c as unknown as { marker: string }).marker}:${t.accountId}`);
      return { act: { sub: 'admin' }, shared: 'from b' };
    };
    assert.deepEqual(await composeClaims([a, b])(ctx, token), { org: 'o1', act: { sub: 'admin' }, shared: 'from b' });
    assert.deepEqual(seen, ['a:the request:g1', 'b:the request:a1']);
  });
  it('a contributor with nothing to add leaves the others alone', async () => {
    const none: ClaimsContributor = async () => undefined;
    const one: ClaimsContributor = async () => ({ org: 'o1' });
    assert.deepEqual(await composeClaims([one, none])(ctx, token), { org: 'o1' });
    assert.deepEqual(await composeClaims([none, one, none])(ctx, token), { org: 'o1' });
  });
  it('nothing from anyone (or no contributor) is undefined, not an empty object', async () => {
    const none: ClaimsContributor = async () => undefined;
    assert.equal(await composeClaims([none, none])(ctx, token), undefined);
    assert.equal(await composeClaims([])(ctx, token), undefined);
  });
  it('a contributor that refuses stops the issue, and those after it do not run', async () => {
    let after = false;
    const refuse: ClaimsContributor = async () => {
      throw new Error('impersonation ended');
    };
    const later: ClaimsContributor = async () => {
      after = true;
      return { x: 1 };
    };
    await assert.rejects(composeClaims([refuse, later])(ctx, token), /impersonation ended/);
    assert.equal(after, false);
  });
});
