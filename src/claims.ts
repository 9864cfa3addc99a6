import { z } from "@hono/zod-openapi";
import { WORKSPACE_ID_PATTERN } from "./schemas/patterns";

/**
 * Roles, what each may do, and the claims a bearer token carries: a leaf module, so routes,
 * operations and the Hono environment name them without importing the authentication
 * middleware (src/auth.ts), which imports them.
 */

export const ROLES = ["platform", "admin", "service", "viewer"] as const;

/** Who is calling: a token's role, or the role a service binding grants. */
export type Role = (typeof ROLES)[number];

/**
 * Who may do what (docs/rules.md, "Answers, errors and callers"). The platform may do
 * everything.
 */
export const CAN = {
  read: ["platform", "admin", "service", "viewer"],
  administer: ["platform", "admin"],
  serve: ["platform", "service"],
  bill: ["platform"],
} as const satisfies Record<string, readonly Role[]>;

/** What a verified bearer token says: its workspace (or `*`), its role and its expiry. */
export const ClaimsSchema = z.object({
  ws: z.union([z.literal("*"), z.string().regex(WORKSPACE_ID_PATTERN)]),
  role: z.enum(ROLES),
  // Whole seconds since the epoch (RFC 7519 NumericDate); a fraction is a malformed token.
  exp: z.number().int(),
});
export type Claims = z.infer<typeof ClaimsSchema>;

export const hasRole = (claims: Claims, roles: readonly Role[]): boolean =>
  roles.includes(claims.role);
