import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { verify } from "hono/jwt";
import { ApiError } from "./errors";
import type { AppEnv } from "./hono";
import { WORKSPACE_ID_PATTERN } from "./schemas/common";
import type { Role } from "./workspace/context";

export const ROLES = ["platform", "admin", "service", "viewer"] as const satisfies Role[];

/** Who may do what (PRODUCT.md §7). The platform may do everything. */
export const CAN = {
  read: ["platform", "admin", "service", "viewer"],
  administer: ["platform", "admin"],
  serve: ["platform", "service"],
  bill: ["platform"],
} as const satisfies Record<string, readonly Role[]>;

/**
 * The longest a token may live: its `exp` may be at most this far from now (a year and a day, so
 * a yearly rotation has a day of overlap). A longer-lived token is refused, so a leaked token
 * cannot stay valid for decades. `scripts/token.mjs` mints within the same bound.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600;
/** Slack for the minting machine's clock running ahead of ours, so a maximal token is not refused. */
export const TOKEN_CLOCK_SKEW_SECONDS = 300;

/** The one role that may carry `ws: "*"` (every workspace). */
const STAR_ROLE = "platform" satisfies Role;

const Claims = z.object({
  ws: z.union([z.literal("*"), z.string().regex(WORKSPACE_ID_PATTERN)]),
  role: z.enum(ROLES),
  // Whole seconds since the epoch (RFC 7519 NumericDate); a fraction is a malformed token.
  exp: z.number().int(),
});
export type Claims = z.infer<typeof Claims>;

/** Verifies the bearer token and that it may reach the workspace in the path. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) {
    throw new ApiError("unauthenticated", "Send an `Authorization: Bearer <token>` header.");
  }
  let payload: unknown;
  try {
    payload = await verify(match[1], c.env.AUTH_SECRET ?? "", "HS256");
  } catch (error) {
    const why = error instanceof Error && error.name === "JwtTokenExpired" ? "expired" : "invalid";
    throw new ApiError("unauthenticated", `The bearer token is ${why}.`);
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) {
    throw new ApiError(
      "unauthenticated",
      "The bearer token needs the claims ws (a workspace id or *), role and exp (whole seconds).",
    );
  }
  // A star token reaches every workspace: only the platform may hold that power.
  if (claims.data.ws === "*" && claims.data.role !== STAR_ROLE) {
    throw new ApiError(
      "unauthenticated",
      `The bearer token is refused: only a ${STAR_ROLE} token may carry ws "*"; a token of role ${claims.data.role} must name its workspace.`,
    );
  }
  const lifetimeSeconds = claims.data.exp - Math.floor(Date.now() / 1000);
  if (lifetimeSeconds > MAX_TOKEN_LIFETIME_SECONDS + TOKEN_CLOCK_SKEW_SECONDS) {
    throw new ApiError(
      "unauthenticated",
      `The bearer token is refused: its exp is more than ${MAX_TOKEN_LIFETIME_SECONDS} seconds (366 days) from now, longer than a token may live; mint a shorter-lived one.`,
    );
  }
  const ws = c.req.param("ws");
  if (ws !== undefined && claims.data.ws !== "*" && claims.data.ws !== ws) {
    throw new ApiError("forbidden", "This token belongs to another workspace.");
  }
  c.set("claims", claims.data);
  await next();
};

export const hasRole = (claims: Claims, roles: readonly Role[]): boolean =>
  roles.includes(claims.role);
