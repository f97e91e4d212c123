/**
 * DPoP proofs at the portal's own endpoints (dpop.ts), pinned where mutation
 * testing (docs/mutation.md) needs it: each refusal with its exact message,
 * the iat window on both sides of its edge, the accepted algorithms, htu
 * compared without query and fragment, ath over the exact token, the key
 * thumbprint returned, and replays refused through the real provider's
 * ReplayDetection on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { DpopProofError, verifyDpopProof } from './dpop.ts';

// The present: the provider's replay records expire at now + five minutes, so an old clock would forget them at once.
const NOW = Math.floor(Date.now() / 1000);
const HTU = 'https://portal.example/oauth/userinfo';
const TOKEN = 'an-access-token';
const ath = (t: string) => createHash('sha256').update(t).digest('base64url');

type Alg = 'ES256' | 'EdDSA' | 'Ed25519' | 'RS256' | 'PS256' | 'ES384';

async function keyFor(alg: Alg) {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'Ed25519' ? 'EdDSA' : alg, {
    extractable: true,
    crv: alg === 'EdDSA' || alg === 'Ed25519' ? 'Ed25519' : undefined,
  });
  return { privateKey, jwk: (await exportJWK(publicKey)) as JWK };
}

async function proof(
  claims: Record<string, unknown>,
  opts: { alg?: Alg; typ?: string; key?: Awaited<ReturnType<typeof keyFor>>; noJwk?: boolean } = {},
): Promise<string> {
  const alg = opts.alg ?? 'ES256';
  const key = opts.key ?? (await keyFor(alg));
  const header: Record<string, unknown> = { alg, typ: opts.typ ?? 'dpop+jwt' };
  if (!opts.noJwk) header.jwk = key.jwk;
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

const good = () => ({ jti: randomUUID(), iat: NOW, htm: 'GET', htu: HTU, ath: ath(TOKEN) });

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`DPoP proofs, exactly (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(async () => {
      await app?.close();
    });

    const verify = (p: string | undefined, o: Partial<{ htm: string; htu: string; accessToken: string; nowSeconds: number }> = {}) =>
      verifyDpopProof(app.provider, p, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowSeconds: NOW, ...o });
    const refused = async (p: Promise<unknown>, message: string) =>
      assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof DpopProofError, String(e));
        assert.equal(e.message, message);
        return true;
      });

    it("returns the proof key's thumbprint, and refuses the same proof twice", async () => {
      const key = await keyFor('ES256');
      const p = await proof(good(), { key });
      assert.equal(await verify(p), await calculateJwkThumbprint(key.jwk));
      await refused(verify(p), 'DPoP proof JWT replay detected');
      // Another jti with the same key is a new proof.
      assert.equal(await verify(await proof(good(), { key })), await calculateJwkThumbprint(key.jwk));
    });

    it('accepts ES256 and Ed25519 (as EdDSA and Ed25519); refuses other algorithms, another typ, a proof without its key', async () => {
      for (const alg of ['ES256', 'EdDSA', 'Ed25519'] as const) assert.match(await verify(await proof(good(), { alg })), /^[\w-]{43}$/, alg);
      for (const alg of ['RS256', 'PS256', 'ES384'] as const) await refused(verify(await proof(good(), { alg })), 'invalid DPoP proof JWT');
      await refused(verify(await proof(good(), { typ: 'JWT' })), 'invalid DPoP proof JWT');
      await refused(verify(await proof(good(), { noJwk: true })), 'invalid DPoP proof JWT');
      await refused(verify('not.a.jwt'), 'invalid DPoP proof JWT');
      await refused(verify(undefined), 'DPoP proof JWT not provided');
      await refused(verify(''), 'DPoP proof JWT not provided');
    });

    it('needs a non-empty string jti and a numeric iat', async () => {
      const { jti: _j, ...noJti } = good();
      const { iat: _i, ...noIat } = good();
      for (const [what, claims] of Object.entries({
        'no jti': noJti,
        'an empty jti': { ...good(), jti: '' },
        'a numeric jti': { ...good(), jti: 7 },
        'no iat': noIat,
      }))
        await refused(verify(await proof(claims)), 'DPoP proof must have jti and iat').then(
          () => {},
          (e: unknown) => assert.fail(`${what}: ${e}`),
        );
    });

    it('a string iat is no JWT (jose refuses it first)', async () => {
      await refused(verify(await proof({ ...good(), iat: String(NOW) })), 'invalid DPoP proof JWT');
    });

    it('takes an iat up to five minutes either side of now, not one second more', async () => {
      for (const iat of [NOW - 300, NOW + 300, NOW]) await verify(await proof({ ...good(), iat }));
      for (const iat of [NOW - 301, NOW + 301]) await refused(verify(await proof({ ...good(), iat })), 'DPoP proof iat is not recent enough');
    });

    it('matches htm exactly, and htu by origin and path (query and fragment ignored)', async () => {
      await refused(verify(await proof({ ...good(), htm: 'POST' })), 'DPoP proof htm mismatch');
      await refused(verify(await proof({ ...good(), htm: 'get' })), 'DPoP proof htm mismatch');
      await verify(await proof({ ...good(), htm: 'POST' }), { htm: 'POST' });
      await verify(await proof({ ...good(), htu: `${HTU}?a=1#frag` }));
      for (const htu of [`${HTU}/more`, 'https://other.example/oauth/userinfo', 'http://portal.example/oauth/userinfo', 'not a url', 42, [HTU]])
        await refused(verify(await proof({ ...good(), htu })), 'DPoP proof htu mismatch');
      const { htu: _h, ...noHtu } = good();
      await refused(verify(await proof(noHtu)), 'DPoP proof htu mismatch');
    });

    it('binds the proof to the access token (ath, SHA-256 base64url)', async () => {
      await refused(verify(await proof({ ...good(), ath: ath(`${TOKEN}x`) })), 'DPoP proof ath mismatch');
      await refused(verify(await proof({ ...good(), ath: createHash('sha256').update(TOKEN).digest('base64') + 'x' })), 'DPoP proof ath mismatch');
      const { ath: _a, ...noAth } = good();
      await refused(verify(await proof(noAth)), 'DPoP proof ath mismatch');
      await verify(await proof({ ...good(), ath: ath('another-token') }), { accessToken: 'another-token' });
    });
  });
}
