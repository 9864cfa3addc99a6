import { invalid } from "../errors";
import {
  CREDIT_BUCKETS,
  type CreditBucket,
  DECISION_REASONS,
  DECISION_RETENTION_MS,
  type DecisionReason,
  FLEET_LIMITS,
  type FleetFilterLimit,
  type FleetLimit,
  type FleetSort,
  hourOf,
  LIMIT_STATES,
  type LimitState,
} from "../policy/fleet";
import { HOUR_MS, iso } from "../policy/time";
import { fleetCursor, readFleetCursor } from "./cursor";

/**
 * The fleet index's reads (GET /v1/fleet/*): the summary, the filtered and sorted list with its
 * cursor pages, and the decisions by reason. The rows are written by each workspace's object
 * (src/workspace/fleet.ts); the schema is migrations/fleet. Every query binds its values; the
 * only text put into SQL is a column chosen from the fixed maps below.
 */

/** The column prefix of each limit in fleet_workspaces. */
const COLUMN: Record<FleetLimit, string> = {
  leads: "leads",
  contactsAndCompanies: "contacts",
  whatsapp: "whatsapp",
  instagram: "instagram",
  agents: "agents",
};

export interface FleetQuery {
  plan?: string | undefined;
  limit?: FleetFilterLimit | undefined;
  state?: LimitState | undefined;
  minPercent?: number | undefined;
  sort: FleetSort;
  pageSize: number;
  after?: string | undefined;
}

/** Later than any instant: where a missing grace end or webhook sorts (last). */
const NEVER = 8_640_000_000_000_000;

const percentExpression = (limit: FleetFilterLimit): string => {
  if (limit === "credits") return "credits_percent";
  const c = COLUMN[limit];
  // Unlimited (or a limit of 0) has no percent: -1 sorts it after every real one.
  return `(CASE WHEN ${c}_limit IS NULL OR ${c}_limit = 0 THEN -1 ELSE ${c}_used * 100.0 / ${c}_limit END)`;
};

const graceEndExpression = (limit: FleetFilterLimit | undefined): string => {
  const limits = limit === undefined || limit === "credits" ? FLEET_LIMITS : [limit];
  const ends = limits.map(
    (l) =>
      `COALESCE(CASE WHEN ${COLUMN[l]}_state = 'grace' THEN ${COLUMN[l]}_grace_ends_at END, ${NEVER})`,
  );
  return ends.length === 1 ? (ends[0] ?? String(NEVER)) : `MIN(${ends.join(", ")})`;
};

/** The sort key of each order, and whether it runs downwards (ties: workspace id upwards). */
function sortOf(query: FleetQuery): { key: string | null; descending: boolean } {
  switch (query.sort) {
    case "workspace":
      return { key: null, descending: false };
    case "percent":
      return { key: percentExpression(query.limit ?? "credits"), descending: true };
    case "graceEnds":
      return { key: graceEndExpression(query.limit), descending: false };
    case "webhookAge":
      return {
        key: `(CASE WHEN webhooks_pending > 0 THEN COALESCE(webhooks_oldest_at, ${NEVER}) ELSE ${NEVER} END)`,
        descending: false,
      };
    case "reportedAt":
      return { key: "reported_at", descending: false };
  }
}

/** The text a cursor is bound to: every filter and the sort, never the page size. */
const canonicalQuery = (q: FleetQuery): string =>
  JSON.stringify([q.plan ?? null, q.limit ?? null, q.state ?? null, q.minPercent ?? null, q.sort]);

interface Row {
  workspace_id: string;
  plan: string;
  catalogue_version: string | null;
  seats: number;
  credits_used: number;
  credits_balance: number;
  credits_percent: number;
  questions_used: number;
  questions_limit: number | null;
  agents_total: number;
  webhooks_pending: number;
  webhooks_oldest_at: number | null;
  reported_at: number;
  sort_key?: number | null;
  [column: string]: string | number | null | undefined;
}

export interface FleetLimitView {
  used: number;
  limit: number | null;
  state: LimitState;
  graceEndsAt: string | null;
  /** used / limit in percent, two decimals; null when unlimited (or a limit of 0). */
  percent: number | null;
}

export interface FleetWorkspace {
  workspaceId: string;
  plan: string;
  catalogueVersion: string | null;
  seats: number;
  limits: Record<FleetLimit, FleetLimitView>;
  credits: { used: number; balance: number; percent: number };
  questions: { used: number; limit: number | null };
  agents: { active: number; total: number };
  webhooks: { pending: number; oldestAt: string | null; oldestAgeSeconds: number | null };
  reportedAt: string;
  staleSeconds: number;
}

const ageSeconds = (at: number, now: number) => Math.max(0, Math.floor((now - at) / 1000));
const round2 = (n: number) => Math.round(n * 100) / 100;

function limitView(row: Row, limit: FleetLimit): FleetLimitView {
  const c = COLUMN[limit];
  const used = Number(row[`${c}_used`] ?? 0);
  const max = row[`${c}_limit`] as number | null;
  const end = row[`${c}_grace_ends_at`] as number | null;
  return {
    used,
    limit: max,
    state: row[`${c}_state`] as LimitState,
    graceEndsAt: end === null ? null : iso(end),
    percent: max === null || max === 0 ? null : round2((used * 100) / max),
  };
}

function workspaceView(row: Row, now: number): FleetWorkspace {
  const limits = Object.fromEntries(FLEET_LIMITS.map((l) => [l, limitView(row, l)])) as Record<
    FleetLimit,
    FleetLimitView
  >;
  const oldest = row.webhooks_pending > 0 ? row.webhooks_oldest_at : null;
  return {
    workspaceId: row.workspace_id,
    plan: row.plan,
    catalogueVersion: row.catalogue_version,
    seats: row.seats,
    limits,
    credits: { used: row.credits_used, balance: row.credits_balance, percent: row.credits_percent },
    questions: { used: row.questions_used, limit: row.questions_limit },
    agents: { active: limits.agents.used, total: row.agents_total },
    webhooks: {
      pending: row.webhooks_pending,
      oldestAt: oldest === null ? null : iso(oldest),
      oldestAgeSeconds: oldest === null ? null : ageSeconds(oldest, now),
    },
    reportedAt: iso(row.reported_at),
    staleSeconds: ageSeconds(row.reported_at, now),
  };
}

export interface FleetPage {
  workspaces: FleetWorkspace[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** One page of the index, filtered and sorted as asked. */
export async function listWorkspaces(
  db: D1Database,
  secret: string,
  query: FleetQuery,
  now: number,
): Promise<FleetPage> {
  if (query.state !== undefined && query.limit === "credits") {
    throw invalid([
      {
        path: "state",
        message: "applies to a limit with a state: credits has none (use minPercent)",
      },
    ]);
  }
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.plan !== undefined) {
    where.push("plan = ?");
    params.push(query.plan);
  }
  if (query.state !== undefined) {
    const limits = query.limit === undefined ? FLEET_LIMITS : [query.limit as FleetLimit];
    where.push(`(${limits.map((l) => `${COLUMN[l]}_state = ?`).join(" OR ")})`);
    for (const _ of limits) params.push(query.state);
  }
  if (query.minPercent !== undefined) {
    where.push(`${percentExpression(query.limit ?? "credits")} >= ?`);
    params.push(query.minPercent);
  }
  const { key, descending } = sortOf(query);
  const canonical = canonicalQuery(query);
  if (query.after !== undefined) {
    const read = await readFleetCursor(secret, canonical, query.after);
    if (!read.ok) throw invalid([{ path: "after", message: read.why }]);
    const { position } = read;
    if (key === null) {
      where.push("workspace_id > ?");
      params.push(position.workspaceId);
    } else {
      if (position.key === null)
        throw invalid([{ path: "after", message: "is not a cursor of this sort" }]);
      where.push(`(${key} ${descending ? "<" : ">"} ? OR (${key} = ? AND workspace_id > ?))`);
      params.push(position.key, position.key, position.workspaceId);
    }
  }
  const order =
    key === null ? "workspace_id" : `${key} ${descending ? "DESC" : "ASC"}, workspace_id`;
  const sql = `SELECT *, ${key ?? "NULL"} AS sort_key FROM fleet_workspaces
    ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY ${order} LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...params, query.pageSize + 1)
    .all<Row>();
  const hasMore = results.length > query.pageSize;
  const page = results.slice(0, query.pageSize);
  const last = page.at(-1);
  return {
    workspaces: page.map((row) => workspaceView(row, now)),
    nextCursor:
      hasMore && last !== undefined
        ? await fleetCursor(secret, canonical, {
            key: (last.sort_key as number | null | undefined) ?? null,
            workspaceId: last.workspace_id,
          })
        : null,
    hasMore,
  };
}

export interface FleetSummary {
  generatedAt: string;
  workspaces: number;
  byPlan: Record<string, number>;
  limits: Record<FleetLimit, Record<LimitState, number>>;
  credits: Record<CreditBucket, number>;
  webhooks: {
    workspacesWithPending: number;
    pendingDeliveries: number;
    oldestAt: string | null;
    oldestAgeSeconds: number | null;
  };
  reports: { oldestAt: string | null; maxStaleSeconds: number | null };
}

/** Counts by plan, by each limit's state, by credit bucket, and the webhook backlog. */
export async function fleetSummary(db: D1Database, now: number): Promise<FleetSummary> {
  const states = FLEET_LIMITS.flatMap((l) =>
    LIMIT_STATES.map((s) => `SUM(${COLUMN[l]}_state = '${s}') AS "${l}.${s}"`),
  );
  const [plans, totals] = await db.batch<Record<string, number | string | null>>([
    db.prepare("SELECT plan, COUNT(*) AS n FROM fleet_workspaces GROUP BY plan ORDER BY plan"),
    db.prepare(
      `SELECT COUNT(*) AS workspaces, ${states.join(", ")},
        SUM(credits_percent < 50) AS "0-50",
        SUM(credits_percent >= 50 AND credits_percent < 80) AS "50-80",
        SUM(credits_percent >= 80 AND credits_percent <= 100) AS "80-100",
        SUM(credits_percent > 100) AS "over",
        SUM(webhooks_pending > 0) AS with_pending,
        SUM(webhooks_pending) AS pending,
        MIN(CASE WHEN webhooks_pending > 0 THEN webhooks_oldest_at END) AS oldest_pending,
        MIN(reported_at) AS oldest_report
      FROM fleet_workspaces`,
    ),
  ]);
  const t = totals?.results[0] ?? {};
  const n = (name: string) => Number(t[name] ?? 0);
  const oldestPending = t.oldest_pending as number | null | undefined;
  const oldestReport = t.oldest_report as number | null | undefined;
  return {
    generatedAt: iso(now),
    workspaces: n("workspaces"),
    byPlan: Object.fromEntries((plans?.results ?? []).map((r) => [String(r.plan), Number(r.n)])),
    limits: Object.fromEntries(
      FLEET_LIMITS.map((l) => [
        l,
        Object.fromEntries(LIMIT_STATES.map((s) => [s, n(`${l}.${s}`)])),
      ]),
    ) as Record<FleetLimit, Record<LimitState, number>>,
    credits: Object.fromEntries(CREDIT_BUCKETS.map((b) => [b, n(b)])) as Record<
      CreditBucket,
      number
    >,
    webhooks: {
      workspacesWithPending: n("with_pending"),
      pendingDeliveries: n("pending"),
      oldestAt: oldestPending == null ? null : iso(oldestPending),
      oldestAgeSeconds: oldestPending == null ? null : ageSeconds(oldestPending, now),
    },
    reports: {
      oldestAt: oldestReport == null ? null : iso(oldestReport),
      maxStaleSeconds: oldestReport == null ? null : ageSeconds(oldestReport, now),
    },
  };
}

export interface DecisionHour {
  hour: string;
  counts: Record<DecisionReason, number>;
}

export interface FleetDecisions {
  from: string;
  to: string;
  plan: string | null;
  hours: DecisionHour[];
  totals: Record<DecisionReason, number>;
}

/** The longest range one call answers: the retention. */
export const MAX_DECISION_RANGE_MS = DECISION_RETENTION_MS;

const zeroCounts = () =>
  Object.fromEntries(DECISION_REASONS.map((r) => [r, 0])) as Record<DecisionReason, number>;

/**
 * Decisions per hour by reason, every hour of [from, to) listed (zero-filled), hours aligned
 * down to the hour. Default: the last 24 hours, this one included.
 */
export async function fleetDecisions(
  db: D1Database,
  input: { from?: number | undefined; to?: number | undefined; plan?: string | undefined },
  now: number,
): Promise<FleetDecisions> {
  const to = input.to !== undefined ? hourOf(input.to + HOUR_MS - 1) : hourOf(now) + HOUR_MS;
  const from = input.from !== undefined ? hourOf(input.from) : to - 24 * HOUR_MS;
  if (from >= to) throw invalid([{ path: "to", message: "must be after from" }]);
  if (to - from > MAX_DECISION_RANGE_MS) {
    throw invalid([
      {
        path: "from",
        message: `the range may span at most ${MAX_DECISION_RANGE_MS / HOUR_MS} hours (the retention)`,
      },
    ]);
  }
  const params: (string | number)[] = [from, to];
  let filter = "";
  if (input.plan !== undefined) {
    filter = " AND plan = ?";
    params.push(input.plan);
  }
  const { results } = await db
    .prepare(
      `SELECT hour, reason, SUM(count) AS n FROM fleet_decisions
       WHERE hour >= ? AND hour < ?${filter} GROUP BY hour, reason`,
    )
    .bind(...params)
    .all<{ hour: number; reason: string; n: number }>();
  const byHour = new Map<number, Record<DecisionReason, number>>();
  for (let h = from; h < to; h += HOUR_MS) byHour.set(h, zeroCounts());
  const totals = zeroCounts();
  for (const r of results) {
    const counts = byHour.get(r.hour);
    if (counts === undefined || !(DECISION_REASONS as readonly string[]).includes(r.reason))
      continue;
    counts[r.reason as DecisionReason] += r.n;
    totals[r.reason as DecisionReason] += r.n;
  }
  return {
    from: iso(from),
    to: iso(to),
    plan: input.plan ?? null,
    hours: [...byHour].map(([hour, counts]) => ({ hour: iso(hour), counts })),
    totals,
  };
}
