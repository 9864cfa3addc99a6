/**
 * The contract's zod-free patterns, kept with the rules that use them (src/policy/patterns.ts)
 * and offered here beside the schemas that validate with them.
 */
export { CREATED_ID_PATTERN, WORKSPACE_ID_PATTERN } from "../policy/patterns";
