// The one place that mints bearer tokens outside the Worker: `npm run token`, the benches and
// the e2e helpers. A token is an HS256 JWT with the claims ws, role and exp, signed with the
// deployment's AUTH_SECRET (docs/rules.md "Answers, errors and callers": Tokens; the format in
// docs/api.md#tokens-and-roles). src/auth.ts verifies it with hono/jwt. Synchronous on purpose
// (node:crypto rather than hono/jwt's async `sign`): the benches mint tokens inline while they
// build their request scripts.
import { createHmac } from "node:crypto";

/** The roles a token may carry (src/claims.ts). */
export const ROLES = ["platform", "admin", "service", "viewer"];

/** The longest lifetime the Worker accepts: MAX_TOKEN_LIFETIME_SECONDS of src/auth.ts. */
export const MAX_TTL_SECONDS = 366 * 24 * 3600;

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * A token for workspace `ws` (or `*`, for a platform token) and `role`, valid `ttlSeconds` from
 * now (one day unless given). It checks nothing: the Worker refuses what it must.
 */
export function mintToken(secret, ws, role, ttlSeconds = 24 * 3600) {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const body = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ ws, role, exp })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}
