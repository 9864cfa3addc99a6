import type { MiddlewareHandler } from "hono";
import { verify } from "hono/jwt";
import { type Claims, ClaimsSchema, type Role } from "./claims";
import { ApiError, type UnauthenticatedReason } from "./errors";
import type { AppEnv } from "./hono";
import { cachedClaims } from "./tokenCache";

/**
 * The longest a token may live: its `exp` may be at most this far from now (a year and a day, so
 * a yearly rotation has a day of overlap). A longer-lived token is refused, so a leaked token
 * cannot stay valid for decades. `scripts/token.mjs` mints within the same bound.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600;
/** Slack for the minting machine's clock running ahead of ours, so a maximal token is not refused. */
export const TOKEN_CLOCK_SKEW_SECONDS = 300;

/**
 * The longest bearer token accepted, in bytes: 4 KiB, ten times a token this service mints (a
 * header, three short claims and a signature are about 200). A longer one is refused before its
 * signature is checked or anything of it is kept (docs/rules.md, "Answers, errors and callers"),
 * so large tokens cannot fill the isolate's token cache nor cost an HMAC over kilobytes.
 */
export const MAX_TOKEN_BYTES = 4 * 1024;

/** The one role that may carry `ws: "*"` (every workspace). */
const STAR_ROLE = "platform" satisfies Role;

/** A 401 with the reason a client can act on (docs/api.md#tokens-and-roles). */
const refused = (reason: UnauthenticatedReason, message: string) =>
  new ApiError("unauthenticated", message, { reason });

/** What hono/jwt's errors mean for the caller, by the error's name. */
const JWT_REASONS: Record<string, UnauthenticatedReason> = {
  JwtTokenExpired: "expired",
  JwtTokenNotBefore: "not_yet_valid",
  JwtTokenIssuedAt: "not_yet_valid",
  JwtTokenSignatureMismatched: "bad_signature",
  // Signed with another HMAC (HS512): not with this deployment's HS256 key either. (alg none
  // is not an algorithm at all: JwtHeaderInvalid, malformed.)
  JwtAlgorithmMismatch: "bad_signature",
};

/**
 * Whether a token may reach a workspace: its own, or every one for `*` (held by the platform
 * only: `verifyClaims` refuses it on any other role). The one scope rule of the router and the
 * fast lane (src/preflight.ts).
 */
export const mayReach = (claims: Claims, ws: string): boolean =>
  claims.ws === "*" || claims.ws === ws;

/** Verifies the bearer token and that it may reach the workspace in the path. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = await bearerClaims(c.req.header("authorization"), c.env.AUTH_SECRET ?? "");
  const ws = c.req.param("ws");
  if (ws !== undefined && !mayReach(claims, ws)) {
    throw new ApiError("forbidden", "This token belongs to another workspace.", {
      reason: "wrong_workspace",
    });
  }
  c.set("claims", claims);
  await next();
};

/**
 * The claims of an `Authorization: Bearer` header, its token verified once per isolate
 * (src/tokenCache.ts); throws the 401 otherwise. Whether the token may reach the workspace in
 * the path, and the role a route needs, are checked per request by the caller.
 */
export async function bearerClaims(header: string | undefined, secret: string): Promise<Claims> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (match?.[1] === undefined) {
    throw refused("missing", "Send an `Authorization: Bearer <token>` header.");
  }
  // Header values are bytes (one per character), so the length is the size on the wire. Its
  // reason is `malformed`: no token this service accepts is that long, and a reason of its own
  // would be one more for every client to know (docs/api.md#tokens-and-roles).
  if (match[1].length > MAX_TOKEN_BYTES) {
    throw refused(
      "malformed",
      `The bearer token is refused: it is ${match[1].length} bytes, longer than the ${MAX_TOKEN_BYTES} bytes (4 KiB) a token may be; mint one with only the claims ws, role and exp.`,
    );
  }
  return cachedClaims(match[1], secret, verifyClaims);
}

/** The signature, the expiry and the claims of a token: what a token is, whatever the request. */
async function verifyClaims(token: string, secret: string): Promise<Claims> {
  let payload: unknown;
  try {
    payload = await verify(token, secret, "HS256");
  } catch (error) {
    const reason = (error instanceof Error && JWT_REASONS[error.name]) || "malformed";
    throw refused(reason, `The bearer token is ${reason === "expired" ? "expired" : "invalid"}.`);
  }
  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) {
    throw refused(
      "malformed",
      "The bearer token needs the claims ws (a workspace id or *), role and exp (whole seconds).",
    );
  }
  // A star token reaches every workspace: only the platform may hold that power.
  if (claims.data.ws === "*" && claims.data.role !== STAR_ROLE) {
    throw refused(
      "star_not_allowed",
      `The bearer token is refused: only a ${STAR_ROLE} token may carry ws "*"; a token of role ${claims.data.role} must name its workspace.`,
    );
  }
  const lifetimeSeconds = claims.data.exp - Math.floor(Date.now() / 1000);
  if (lifetimeSeconds > MAX_TOKEN_LIFETIME_SECONDS + TOKEN_CLOCK_SKEW_SECONDS) {
    throw refused(
      "lifetime_too_long",
      `The bearer token is refused: its exp is more than ${MAX_TOKEN_LIFETIME_SECONDS} seconds (366 days) from now, longer than a token may live; mint a shorter-lived one.`,
    );
  }
  return claims.data;
}

// Roles and claims live in src/claims.ts (a leaf module); re-exported for existing importers.
export { CAN, type Claims, hasRole, ROLES } from "./claims";
