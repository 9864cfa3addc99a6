import { z } from "@hono/zod-openapi";
import { CURSOR_PATTERN, MAX_CURSOR_LENGTH, START_CURSOR } from "../policy/cursor";
import { CREATED_ID_PATTERN, WORKSPACE_ID_PATTERN } from "./patterns";

export { WORKSPACE_ID_PATTERN };

export const WorkspaceId = z
  .string()
  .regex(WORKSPACE_ID_PATTERN, "must be 1-64 characters of A-Za-z0-9_-")
  .openapi({ example: "acme" });

export const WorkspaceParams = z.object({
  ws: WorkspaceId.openapi({ param: { name: "ws", in: "path" } }),
});

/** The first and last instants the service accepts (docs/rules.md, "Time"): 1970 to 9999, UTC. */
export const MIN_INSTANT = "1970-01-01T00:00:00.000Z";
export const MAX_INSTANT = "9999-12-31T23:59:59.999Z";
const MIN_MS = Date.parse(MIN_INSTANT);
const MAX_MS = Date.parse(MAX_INSTANT);

/**
 * An instant on the wire: ISO-8601 with a `Z` or an offset; answers are always UTC `Z`. Every
 * instant a client sends goes through this one schema, bounded to 1970-9999 in UTC (so
 * `9999-12-31T23:00:00-05:00`, in year 10000, is refused too): month arithmetic and the
 * four-digit ISO form both hold there, and no billing date lies outside.
 */
export const Instant = z.iso
  .datetime({ offset: true })
  .refine(
    (at) => {
      const ms = Date.parse(at);
      return ms >= MIN_MS && ms <= MAX_MS;
    },
    {
      message: `must lie between ${MIN_INSTANT} and ${MAX_INSTANT}`,
      // Only a well-formed instant is bounded; a malformed one has its one issue already.
      when: (payload) => payload.issues.length === 0,
    },
  )
  .openapi({
    example: "2026-07-15T00:00:00.000Z",
    description: `An ISO-8601 instant from ${MIN_INSTANT} to ${MAX_INSTANT}`,
  });

/**
 * The bounds of a workspace's test clock: 31 days inside the bounds of every instant. Every
 * instant an answer computes is derived from the workspace clock and lies at most a month from
 * it (a billing period, which contains now and lasts at most 31 days; a 24-hour grace; a
 * reservation's hour; a webhook retry's 6 hours), so a clock in this range keeps every answer
 * within 1970-9999 (docs/rules.md, "Time"). The real clock is always inside; an anchor, a
 * package expiry or a `connectedAt` is only stored and answered back, so each of those may use
 * the whole range.
 */
export const MIN_CLOCK = "1970-02-01T00:00:00.000Z";
export const MAX_CLOCK = "9999-11-30T23:59:59.999Z";
const MIN_CLOCK_MS = Date.parse(MIN_CLOCK);
const MAX_CLOCK_MS = Date.parse(MAX_CLOCK);

/** The test clock's `now`: an Instant, within MIN_CLOCK and MAX_CLOCK. */
export const ClockInstant = Instant.refine(
  (at) => {
    const ms = Date.parse(at);
    return ms >= MIN_CLOCK_MS && ms <= MAX_CLOCK_MS;
  },
  {
    message: `must lie between ${MIN_CLOCK} and ${MAX_CLOCK}: a clock within 31 days of 1970 or 9999 would put a billing period's start or end, or a grace end, outside them`,
    when: (payload) => payload.issues.length === 0,
  },
).openapi({
  example: "2026-07-20T00:00:00.000Z",
  description: `An ISO-8601 instant from ${MIN_CLOCK} to ${MAX_CLOCK}, so that every instant an answer computes from it lies between ${MIN_INSTANT} and ${MAX_INSTANT}`,
});

/** Ids chosen by clients (entities, channels, agents, packages): bounded and printable. */
export const ClientId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be 1-128 printable ASCII characters without spaces");

/**
 * An id as a client creates it: a ClientId that a URL path can carry as one segment
 * (CREATED_ID_PATTERN, src/schemas/patterns.ts).
 */
export const CreatedId = z
  .string()
  .min(1)
  .max(128)
  .regex(
    CREATED_ID_PATTERN,
    "must be 1-128 printable ASCII characters without spaces, and not . or .. (no URL path can name them)",
  );

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const IdempotencyHeader = z.object({
  "idempotency-key": z.string().regex(IDEMPOTENCY_KEY_PATTERN).optional().openapi({
    description:
      "Makes the call safe to retry for 24 hours: a replay answers the first answer byte for byte (with `Idempotent-Replayed: true`); the same key with another request is a 409.",
  }),
});

export const MAX_PAGE = 100;

/** What every `nextCursor` says about itself in the OpenAPI document. */
export const OPAQUE_CURSOR =
  "An opaque cursor: pass it back unchanged as `after`; it is valid only for this feed of this workspace, and its format may change.";

/**
 * The `after` query parameter: a page cursor on the wire, opaque, bound to its feed and workspace
 * and checked by the workspace (src/policy/cursor.ts, src/workspace/cursors.ts); `0` means "from
 * the oldest".
 */
export const CursorParam = (items: string, optional: "default" | "optional") => {
  const base = z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .regex(CURSOR_PATTERN, "must be a nextCursor from a previous page, or 0");
  return (optional === "default" ? base.default(START_CURSOR) : base.optional()).openapi({
    param: { name: "after", in: "query" },
    description: `Answer the ${items} after this cursor: a previous page's \`nextCursor\`, unchanged. Cursors are opaque and belong to this feed of this workspace; a cursor of another feed or workspace, or one never issued, is a 400 naming \`after\`. Omitted or \`${START_CURSOR}\` = from the oldest kept.`,
    example: START_CURSOR,
  });
};

/** `?limit={n}`: how many `items` a page holds, 1-MAX_PAGE (default MAX_PAGE). */
export const LimitParam = (items: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .default(MAX_PAGE)
    .openapi({
      param: { name: "limit", in: "query" },
      description: `${items[0]?.toUpperCase()}${items.slice(1)} per page, 1-${MAX_PAGE} (default ${MAX_PAGE}).`,
      example: MAX_PAGE,
    });

/** `?after={cursor}&limit={n}` for a feed read in order, oldest first. */
export const pageQuery = (items: string) =>
  z.object({ after: CursorParam(items, "default"), limit: LimitParam(items) });
