/**
 * What the page reads from a token itself: the workspace it opens and the role it signs in as,
 * because the page must know which workspace to open (a platform token opens any, so it asks)
 * and whether to offer controls before calling anything. Nothing here judges the token: the
 * API verifies it on every call, and the page says why it was refused from the 401's reason.
 */
import { WORKSPACE_ID_PATTERN } from "../../policy/patterns";
import { ROLE_LABEL, type Role } from "./words";

export interface TokenView {
  /** A workspace id, or "*" for a platform token that opens every workspace. */
  ws: string;
  role: Role;
}

const isRole = (value: unknown): value is Role =>
  typeof value === "string" && Object.hasOwn(ROLE_LABEL, value);

/** The token's `ws` and `role`, or null when it is not a JWT carrying them (refused as malformed). */
export function readToken(token: string): TokenView | null {
  const payload = token.split(".")[1];
  if (token.split(".").length !== 3 || payload === undefined) return null;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64 + "===".slice((base64.length + 3) % 4)), (c) =>
      c.charCodeAt(0),
    );
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== "object" || claims === null) return null;
    const { ws, role } = claims as Record<string, unknown>;
    if (typeof ws !== "string" || !(ws === "*" || isWorkspaceId(ws)) || !isRole(role)) return null;
    return { ws, role };
  } catch {
    return null;
  }
}

export const isWorkspaceId = (text: string): boolean => WORKSPACE_ID_PATTERN.test(text);
