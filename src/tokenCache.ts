/**
 * Bearer tokens this isolate has verified, so a client that sends the same token on every call
 * pays for the HMAC and the claims check once per isolate rather than once per request. Keyed
 * by the whole token (its signature included) and the secret it was verified with; an entry
 * ends when the token's `exp` passes. Failed verifications are never kept. Checks that depend on
 * the request (the workspace in the path, the role a route needs) stay outside, per request.
 *
 * Bounded twice, least recently used first out: by count (MAX_TOKENS) and by the bytes of the
 * tokens held (MAX_CACHE_BYTES), since a count alone lets a few thousand large valid tokens
 * hold hundreds of megabytes of an isolate's 128 MB (docs/rules.md, "Answers, errors and
 * callers": tokens are bounded in size, and so is what the isolate keeps of them).
 */

/** A few thousand tokens. */
export const MAX_TOKENS = 4_096;
/** What the tokens held may weigh together: 4 MiB, a thirtieth of an isolate's memory. */
export const MAX_CACHE_BYTES = 4 * 1024 * 1024;
/**
 * What one entry weighs beyond its token's characters: the map slot, the entry and its claims
 * (a workspace id of at most 64 characters, a role, an expiry). An estimate, on the high side.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

interface Entry<C> {
  secret: string;
  claims: C;
  expiresAtMs: number;
  bytes: number;
}

/** In use order: the least recently used first (a Map iterates in insertion order). */
const verified = new Map<string, Entry<unknown>>();
let heldBytes = 0;

/** What keeping `token` costs. Tokens are header values, one byte per character. */
const costOf = (token: string): number => token.length + ENTRY_OVERHEAD_BYTES;

function forget(token: string): void {
  const entry = verified.get(token);
  if (entry === undefined) return;
  verified.delete(token);
  heldBytes -= entry.bytes;
}

/**
 * The claims of `token`: from the cache while it is unexpired, else from `verify` (which
 * throws on a bad token), kept until `exp` unless less recently used tokens must make room.
 */
export async function cachedClaims<C extends { exp: number }>(
  token: string,
  secret: string,
  verify: (token: string, secret: string) => Promise<C>,
  nowMs: number = Date.now(),
): Promise<C> {
  const hit = verified.get(token);
  if (hit !== undefined) {
    if (hit.secret === secret && nowMs < hit.expiresAtMs) {
      // Used now: to the back of the line.
      verified.delete(token);
      verified.set(token, hit);
      return hit.claims as C;
    }
    forget(token);
  }
  const claims = await verify(token, secret);
  const expiresAtMs = claims.exp * 1000;
  const bytes = costOf(token);
  // A token bigger than the whole budget is answered, never kept (it would evict everything).
  if (nowMs < expiresAtMs && bytes <= MAX_CACHE_BYTES) {
    forget(token);
    while (verified.size >= MAX_TOKENS || heldBytes + bytes > MAX_CACHE_BYTES) {
      const oldest = verified.keys().next().value;
      if (oldest === undefined) break;
      forget(oldest);
    }
    verified.set(token, { secret, claims, expiresAtMs, bytes });
    heldBytes += bytes;
  }
  return claims;
}

/** Tokens held now (for tests). */
export const cachedTokenCount = (): number => verified.size;

/** What the tokens held now weigh, as MAX_CACHE_BYTES counts it (for tests). */
export const cachedTokenBytes = (): number => heldBytes;
