/**
 * Patterns of the HTTP contract with no zod attached, so code that must stay small (the billing
 * page's browser bundle, src/app/client) can import them without the schema library.
 */

/** A workspace id: 1-64 characters of A-Za-z0-9_- (docs/rules.md, answers and callers). */
export const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * An id as a client creates it (entities, channels, agents, packages): printable ASCII without
 * spaces, as every client id, that a URL path can carry as one segment (docs/rules.md, "Answers,
 * errors and callers"). Every printable character can, percent-encoded (`/` as `%2F`, `%` as
 * `%25`, and so on), but `.` and `..` are dot-segments: URL parsers remove them, `%2E` and
 * `%2E%2E` included, so no path could read, close or delete such an entity. One pattern without
 * a lookahead, so the OpenAPI document states it and a schema-driven generator can produce it: a
 * first character other than `.`, or `.` and another, or `..` and at least one more. The length
 * (1-128) is the schema's.
 */
export const CREATED_ID_PATTERN =
  /^(?:[\x21-\x2d\x2f-\x7e]|\.[\x21-\x2d\x2f-\x7e]|\.\.[\x21-\x7e])[\x21-\x7e]*$/;
