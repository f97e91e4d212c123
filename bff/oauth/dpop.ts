/**
 * DPoP proofs (RFC 9449 §4.3, §7.1) at the endpoints the portal answers itself
 * around oidc-provider (userinfo.ts): oidc-provider checks them at its own
 * endpoints, but its proof validation is not exported, so the same checks are
 * made here with jose, and replays are refused through the provider's own
 * ReplayDetection model (the same store rows its token endpoint uses).
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';

/** How far a proof's iat may be from now (oidc-provider's own window). */
const IAT_WINDOW_SECONDS = 300;
const ALGORITHMS = ['ES256', 'Ed25519', 'EdDSA'];

export class DpopProofError extends Error {}

/**
 * Verifies the DPoP proof sent with `accessToken` to `htu` by `htm`, and returns its key's
 * thumbprint (to compare with the token's `cnf.jkt`). Throws DpopProofError when it is not valid.
 */
export async function verifyDpopProof(
  provider: Provider,
  proof: string | undefined,
  opts: { htm: string; htu: string; accessToken: string; nowSeconds: number },
): Promise<string> {
  if (!proof) throw new DpopProofError('DPoP proof JWT not provided');
  let payload: Record<string, unknown>;
  let jwk: Record<string, unknown>;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { algorithms: ALGORITHMS, typ: 'dpop+jwt' });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as Record<string, unknown>;
  } catch {
    throw new DpopProofError('invalid DPoP proof JWT');
  }
  if (typeof payload.jti !== 'string' || !payload.jti || typeof payload.iat !== 'number') throw new DpopProofError('DPoP proof must have jti and iat');
  if (Math.abs(opts.nowSeconds - payload.iat) > IAT_WINDOW_SECONDS) throw new DpopProofError('DPoP proof iat is not recent enough');
  if (payload.htm !== opts.htm) throw new DpopProofError('DPoP proof htm mismatch');
  const htu = typeof payload.htu === 'string' ? URL.parse(payload.htu) : null;
  if (!htu || `${htu.origin}${htu.pathname}` !== opts.htu) throw new DpopProofError('DPoP proof htu mismatch');
  if (payload.ath !== createHash('sha256').update(opts.accessToken).digest('base64url')) throw new DpopProofError('DPoP proof ath mismatch');
  const jkt = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0]);
  const unique = await provider.ReplayDetection.unique(jkt, payload.jti, opts.nowSeconds + IAT_WINDOW_SECONDS);
  if (!unique) throw new DpopProofError('DPoP proof JWT replay detected');
  return jkt;
}
