import type { Overrides, Plan } from "./catalogue";
import { DAY_MS, HOUR_MS, type Instant, MINUTE_MS } from "./time";

/**
 * The fleet index (docs/fleet.md): what one workspace reports about itself, when it reports, and
 * how decisions are counted by reason. Pure: the object (src/workspace/fleet.ts) takes the row
 * and writes it; the fleet routes (src/fleet) read it.
 */

/** The limits a row carries a state for, in the order lists and the page show them. */
export const FLEET_LIMITS = [
  "leads",
  "contactsAndCompanies",
  "whatsapp",
  "instagram",
  "agents",
] as const;
export type FleetLimit = (typeof FLEET_LIMITS)[number];

/** What the list's `limit` filter may name: a limit with a state, or the credits (percent only). */
export const FLEET_FILTER_LIMITS = [...FLEET_LIMITS, "credits"] as const;
export type FleetFilterLimit = (typeof FLEET_FILTER_LIMITS)[number];

/** The list's orders: id; percent used (highest first); soonest grace end; oldest webhook backlog; stalest report. */
export const FLEET_SORTS = [
  "workspace",
  "percent",
  "graceEnds",
  "webhookAge",
  "reportedAt",
] as const;
export type FleetSort = (typeof FLEET_SORTS)[number];

export const LIMIT_STATES = ["ok", "grace", "enforced"] as const;
export type LimitState = (typeof LIMIT_STATES)[number];

/** Every reason a decision is counted under: `allowed`, or the refusal's own reason. */
export const DECISION_REASONS = [
  "allowed",
  "insufficient_credits",
  "feature_limit_reached",
  "feature_not_in_plan",
  "question_limit_reached",
  "active_agent_limit",
  "workspace_agent_limit",
  "agent_limit_reached",
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export interface LimitFigures {
  used: number;
  /** null: unlimited. */
  limit: number | null;
  state: LimitState;
  /** In grace, when it ends; in `enforced`, when the grace ended (null: none). */
  graceEndsAt: Instant | null;
}

/** One workspace as the index holds it. */
export interface FleetRow {
  workspaceId: string;
  plan: Plan;
  /** The catalogue version the platform pinned; null: the version in force applies. */
  catalogueVersion: string | null;
  seats: number;
  /** When the subscription started, and its overrides: the preview's inputs (catalogue.md). */
  subscribedAt: Instant;
  overrides: Overrides;
  limits: Record<FleetLimit, LimitFigures>;
  /**
   * Active channels that are grandfathered (never disabled, whatever the limit): the preview
   * counts only the others as disabled (migrations/fleet/0005).
   */
  grandfathered: { whatsapp: number; instagram: number };
  credits: { used: number; balance: number; percent: number };
  questions: { used: number; limit: number | null };
  agents: { active: number; total: number };
  webhooks: { pending: number; oldestAt: Instant | null };
}

/**
 * What a row says that changes the workspace's standing: a limit's state, the plan, the seats.
 * A report whose signature differs from the last one's goes at once (docs/rules.md, "Events and
 * due work": a state change is announced when it happens, so the index follows it too).
 */
export const standingOf = (row: FleetRow): string =>
  [
    row.plan,
    row.seats,
    ...FLEET_LIMITS.map((l) => `${row.limits[l].state}@${row.limits[l].graceEndsAt ?? ""}`),
  ].join("|");

/** A workspace reports at most this often while it changes. */
export const REPORT_INTERVAL_MS = MINUTE_MS;
/** After a failed report, the next attempt is this far away. */
export const REPORT_RETRY_MS = MINUTE_MS;
/**
 * Decisions counted in memory are written to the object's own storage this long after the first
 * of them, unless a report takes them first: an idle object is evicted from memory long before
 * its next report would go (seconds locally, a minute or two at Cloudflare), and the counts must
 * survive it (docs/fleet.md, "Lost counts").
 */
export const DECISIONS_SPILL_MS = 5_000;
/**
 * Hours of decisions kept: at least 35 days; a report deletes the hours older than this, so a
 * 35-day window read at any moment is complete.
 */
export const DECISION_RETENTION_MS = 36 * DAY_MS;

export const hourOf = (at: Instant): Instant => Math.floor(at / HOUR_MS) * HOUR_MS;

/** What the reporter knows when it decides when to report next. */
export interface ReportState {
  /** When the last report landed (null: none from this instance yet). */
  lastReportAt: Instant | null;
  /** A failed report waits until then before its retry (null: none failed). */
  retryAt: Instant | null;
  /** Something was written, or a decision counted, since the last report's row was taken. */
  changed: boolean;
  /** An event was recorded (a grace began, a limit was enforced or resolved, ...) or the plan or seats changed. */
  standingChanged: boolean;
}

/**
 * When the next report is due (null: nothing to report). A change of standing goes at once;
 * other changes wait until a minute after the last report, so a busy workspace reports once a
 * minute, never once per spend; a failed report is retried a minute later.
 */
export function nextReportAt(state: ReportState, now: Instant): Instant | null {
  if (state.retryAt !== null) return Math.max(state.retryAt, now);
  if (state.standingChanged) return now;
  if (!state.changed) return null;
  return state.lastReportAt === null ? now : Math.max(state.lastReportAt + REPORT_INTERVAL_MS, now);
}

/** Decisions counted in memory: `${hour}|${plan}|${reason}` → count. */
export type DecisionCounts = Map<string, number>;

/** The counts of `a` and `b` added, key by key (a new map). */
export function addCounts(a: DecisionCounts, b: DecisionCounts): DecisionCounts {
  const sum = new Map(a);
  for (const [key, count] of b) sum.set(key, (sum.get(key) ?? 0) + count);
  return sum;
}

export function countDecision(
  counts: DecisionCounts,
  at: Instant,
  plan: Plan,
  reason: DecisionReason,
): void {
  const key = `${hourOf(at)}|${plan}|${reason}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export function decisionEntries(
  counts: DecisionCounts,
): { hour: Instant; plan: string; reason: string; count: number }[] {
  return [...counts].map(([key, count]) => {
    const [hour, plan, reason] = key.split("|");
    return { hour: Number(hour), plan: plan ?? "", reason: reason ?? "", count };
  });
}

/** The credit buckets of the summary, by percent of the monthly balance used. */
export const CREDIT_BUCKETS = ["0-50", "50-80", "80-100", "over"] as const;
export type CreditBucket = (typeof CREDIT_BUCKETS)[number];

export const creditBucketOf = (percent: number): CreditBucket =>
  percent > 100 ? "over" : percent >= 80 ? "80-100" : percent >= 50 ? "50-80" : "0-50";
