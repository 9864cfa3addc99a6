import type { ErrorCode, Outcome } from "../errors";

/*
 * Policy answers in the workspace's Outcome shape, so the object passes a refusal on as it is.
 * These build it with type-only imports: src/errors.ts loads zod at runtime, and policy stays
 * free of any runtime dependency.
 */

export const allow = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const refuse = (code: ErrorCode, message: string, details?: unknown): Outcome<never> => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});
