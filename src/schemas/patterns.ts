/**
 * Patterns of the HTTP contract with no zod attached, so code that must stay small (the billing
 * page's browser bundle, src/app/client) can import them without the schema library.
 */

/** A workspace id: 1-64 characters of A-Za-z0-9_- (docs/rules.md, answers and callers). */
export const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
