import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { verify } from "hono/jwt";
import { ApiError } from "./errors";
import type { AppEnv } from "./hono";
import { WORKSPACE_ID_PATTERN } from "./schemas/common";
import { cachedClaims } from "./tokenCache";
import type { Role } from "./workspace/context";

export const ROLES = ["platform", "admin", "service", "viewer"] as const satisfies Role[];

/** Who may do what (PRODUCT.md §7). The platform may do everything. */
export const CAN = {
  read: ["platform", "admin", "service", "viewer"],
  administer: ["platform", "admin"],
  serve: ["platform", "service"],
  bill: ["platform"],
} as const satisfies Record<string, readonly Role[]>;

const Claims = z.object({
  ws: z.union([z.literal("*"), z.string().regex(WORKSPACE_ID_PATTERN)]),
  role: z.enum(ROLES),
  exp: z.number(),
});
export type Claims = z.infer<typeof Claims>;

/** Verifies the bearer token and that it may reach the workspace in the path. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = await bearerClaims(c.req.header("authorization"), c.env.AUTH_SECRET ?? "");
  const ws = c.req.param("ws");
  if (ws !== undefined && claims.ws !== "*" && claims.ws !== ws) {
    throw new ApiError("forbidden", "This token belongs to another workspace.");
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
    throw new ApiError("unauthenticated", "Send an `Authorization: Bearer <token>` header.");
  }
  return cachedClaims(match[1], secret, verifyClaims);
}

/** The signature, the expiry and the claims of a token: what a token is, whatever the request. */
async function verifyClaims(token: string, secret: string): Promise<Claims> {
  let payload: unknown;
  try {
    payload = await verify(token, secret, "HS256");
  } catch (error) {
    const why = error instanceof Error && error.name === "JwtTokenExpired" ? "expired" : "invalid";
    throw new ApiError("unauthenticated", `The bearer token is ${why}.`);
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) {
    throw new ApiError("unauthenticated", "The bearer token needs the claims ws, role and exp.");
  }
  return claims.data;
}

export const hasRole = (claims: Claims, roles: readonly Role[]): boolean =>
  roles.includes(claims.role);
