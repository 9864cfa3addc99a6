/**
 * Bearer tokens this isolate has verified, so a client that sends the same token on every call
 * pays for the HMAC and the claims check once per isolate rather than once per request. Keyed
 * by the whole token (its signature included) and the secret it was verified with; an entry
 * ends when the token's `exp` passes, and the oldest entries give way beyond MAX_TOKENS.
 * Failed verifications are never kept. Checks that depend on the request (the workspace in the
 * path, the role a route needs) stay outside, per request.
 */

/** A few thousand tokens: a few hundred kilobytes at most, in an isolate of 128 MB. */
export const MAX_TOKENS = 4_096;

interface Entry<C> {
  secret: string;
  claims: C;
  expiresAtMs: number;
}

const verified = new Map<string, Entry<unknown>>();

/**
 * The claims of `token`: from the cache while it is unexpired, else from `verify` (which
 * throws on a bad token), kept until `exp`.
 */
export async function cachedClaims<C extends { exp: number }>(
  token: string,
  secret: string,
  verify: (token: string, secret: string) => Promise<C>,
  nowMs: number = Date.now(),
): Promise<C> {
  const hit = verified.get(token);
  if (hit !== undefined) {
    if (hit.secret === secret && nowMs < hit.expiresAtMs) return hit.claims as C;
    verified.delete(token);
  }
  const claims = await verify(token, secret);
  const expiresAtMs = claims.exp * 1000;
  if (nowMs < expiresAtMs) {
    if (verified.size >= MAX_TOKENS) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(token, { secret, claims, expiresAtMs });
  }
  return claims;
}

/** Tokens held now (for tests). */
export const cachedTokenCount = (): number => verified.size;
