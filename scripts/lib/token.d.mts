// Types of token.mjs, for the TypeScript that imports it (test/e2e/server.ts).
export declare const ROLES: readonly ["platform", "admin", "service", "viewer"];
export declare const MAX_TTL_SECONDS: number;
export declare function mintToken(
  secret: string,
  ws: string,
  role: string,
  ttlSeconds?: number,
): string;
