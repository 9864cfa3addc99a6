import { z } from "@hono/zod-openapi";
import { PLANS } from "../policy/catalogue";
import {
  CREDIT_BUCKETS,
  DECISION_REASONS,
  FLEET_FILTER_LIMITS,
  FLEET_LIMITS,
  FLEET_SORTS,
  LIMIT_STATES,
} from "../policy/fleet";
import { Instant } from "./common";

/** The most rows one page of the fleet list answers. */
export const MAX_FLEET_PAGE = 500;
/** Mirrors src/fleet/cursor.ts: a fleet cursor names its query, so it is longer than a feed's. */
const MAX_FLEET_CURSOR_LENGTH = 1024;

const count = z.number().int();
const at = z.string().nullable();
const state = z.enum(LIMIT_STATES);

const LimitRow = z.object({
  used: count,
  limit: count.nullable().describe("null = unlimited"),
  state: state.describe(
    "`grace`: over the limit until graceEndsAt; `enforced`: the excess is blocked or disabled (agents: the active limit is reached, so activations are refused); `ok` otherwise.",
  ),
  graceEndsAt: at.describe("In `grace`, when it ends; in `enforced`, when the grace ended."),
  percent: z.number().nullable().describe("used / limit in percent; null when unlimited or 0"),
});

export const FleetWorkspace = z
  .object({
    workspaceId: z.string(),
    plan: z.string(),
    catalogueVersion: z
      .string()
      .nullable()
      .describe("The plan catalogue's version; null until catalogues are versioned"),
    seats: count,
    limits: z.object(
      Object.fromEntries(FLEET_LIMITS.map((l) => [l, LimitRow])) as Record<
        (typeof FLEET_LIMITS)[number],
        typeof LimitRow
      >,
    ),
    credits: z.object({
      used: count,
      balance: count.describe("The monthly balance"),
      percent: z.number().describe("used / balance in percent, two decimals"),
    }),
    questions: z.object({ used: count, limit: count.nullable() }),
    agents: z.object({ active: count, total: count }),
    webhooks: z.object({
      pending: count.describe("Events waiting for a webhook delivery"),
      oldestAt: at.describe("When the oldest pending event was recorded"),
      oldestAgeSeconds: count.nullable(),
    }),
    reportedAt: z.string().describe("When the workspace last reported this row"),
    staleSeconds: count.describe(
      "How old the row is: seconds since reportedAt. A workspace reports within a minute of a change, so a large figure means nothing changed since (or its reports are failing).",
    ),
  })
  .openapi("FleetWorkspace");

const optionalInstant = Instant.optional();

export const FleetListQuery = z.object({
  plan: z
    .enum(PLANS)
    .optional()
    .openapi({ param: { name: "plan", in: "query" }, description: "Only this plan" }),
  limit: z
    .enum(FLEET_FILTER_LIMITS)
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description:
        "The limit that `state`, `minPercent` and the `percent` and `graceEnds` sorts look at. Without it, `state` matches a workspace with any limit in that state and `minPercent` looks at the credits. (The page size is `pageSize`.)",
    }),
  state: state.optional().openapi({
    param: { name: "state", in: "query" },
    description: "Only workspaces whose `limit` (or, without one, any limit) is in this state",
  }),
  minPercent: z.coerce
    .number()
    .min(0)
    .max(1_000_000)
    .optional()
    .openapi({
      // A coerced number is documented as number-or-null (and the override drops its bounds);
      // a query value is never null.
      type: "number",
      minimum: 0,
      maximum: 1_000_000,
      param: { name: "minPercent", in: "query" },
      description: "Only workspaces with at least this percent of `limit` used (default: credits)",
    }),
  sort: z
    .enum(FLEET_SORTS)
    .default("workspace")
    .openapi({
      param: { name: "sort", in: "query" },
      description:
        "`workspace`: by id; `percent`: most used first (of `limit`, default credits); `graceEnds`: soonest grace end first; `webhookAge`: oldest pending delivery first; `reportedAt`: stalest row first. Ties by id.",
    }),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_FLEET_PAGE)
    .default(100)
    .openapi({
      param: { name: "pageSize", in: "query" },
      description: `Rows per page, 1-${MAX_FLEET_PAGE} (default 100)`,
    }),
  after: z
    .string()
    .max(MAX_FLEET_CURSOR_LENGTH)
    .regex(/^[A-Za-z0-9_.-]+$/, "must be a nextCursor from a previous page")
    .optional()
    .openapi({
      param: { name: "after", in: "query" },
      description:
        "A previous page's `nextCursor`, unchanged. Cursors are opaque and bound to the filters and sort they were issued for: a cursor of another query, or one never issued, is a 400 naming `after`.",
    }),
});

export const FleetPage = z
  .object({
    workspaces: z.array(FleetWorkspace),
    nextCursor: z
      .string()
      .nullable()
      .describe("Pass as `after` for the next page; null on the last page"),
    hasMore: z.boolean(),
  })
  .openapi("FleetPage");

const stateCounts = z.object(
  Object.fromEntries(LIMIT_STATES.map((s) => [s, count])) as Record<
    (typeof LIMIT_STATES)[number],
    typeof count
  >,
);

export const FleetSummary = z
  .object({
    generatedAt: z.string(),
    workspaces: count.describe("Workspaces in the index"),
    byPlan: z.record(z.string(), count).describe("Workspaces per plan"),
    limits: z
      .object(
        Object.fromEntries(FLEET_LIMITS.map((l) => [l, stateCounts])) as Record<
          (typeof FLEET_LIMITS)[number],
          typeof stateCounts
        >,
      )
      .describe("Workspaces per state, for each limit"),
    credits: z
      .object(
        Object.fromEntries(CREDIT_BUCKETS.map((b) => [b, count])) as Record<
          (typeof CREDIT_BUCKETS)[number],
          typeof count
        >,
      )
      .describe(
        "Workspaces by percent of the monthly balance used: under 50, 50 to under 80, 80 to 100, over 100",
      ),
    webhooks: z.object({
      workspacesWithPending: count,
      pendingDeliveries: count,
      oldestAt: at.describe("When the oldest pending event of the fleet was recorded"),
      oldestAgeSeconds: count.nullable(),
    }),
    reports: z.object({
      oldestAt: at.describe("The stalest row's reportedAt"),
      maxStaleSeconds: count.nullable(),
    }),
  })
  .openapi("FleetSummary");

export const FleetDecisionsQuery = z.object({
  from: optionalInstant.openapi({
    param: { name: "from", in: "query" },
    description: "First hour (rounded down to the hour); default: 24 hours before `to`",
  }),
  to: optionalInstant.openapi({
    param: { name: "to", in: "query" },
    description:
      "End of the range (rounded up to the hour, exclusive); default: the end of this hour",
  }),
  plan: z
    .enum(PLANS)
    .optional()
    .openapi({ param: { name: "plan", in: "query" }, description: "Only this plan's decisions" }),
});

const reasonCounts = z.object(
  Object.fromEntries(DECISION_REASONS.map((r) => [r, count])) as Record<
    (typeof DECISION_REASONS)[number],
    typeof count
  >,
);

export const FleetDecisions = z
  .object({
    from: z.string(),
    to: z.string(),
    plan: z.string().nullable(),
    hours: z
      .array(z.object({ hour: z.string(), counts: reasonCounts }))
      .describe("Every hour of the range, oldest first, zero-filled"),
    totals: reasonCounts,
  })
  .openapi("FleetDecisions", {
    description:
      "Decisions by reason (`allowed` or the refusal's reason) of credit spends (check, consume, reserve), Copilot questions and agent creates and activations, per hour, fleet-wide. Kept at least 35 days.",
  });
