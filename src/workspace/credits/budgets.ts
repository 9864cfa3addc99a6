import { fail, ok } from "../../outcome";
import type { AlertRule } from "../../policy/alerts";
import {
  type AgentUse,
  agentRemainingOf,
  MAX_ACTIVE_TOPUPS,
  type Sources,
  type Topup,
  topupActive,
  topupRemaining,
} from "../../policy/budgets";
import { type Instant, iso } from "../../policy/time";
import type { Migration, Store } from "../../storage";
import type { BudgetCounters, WorkspaceContext } from "../context";
import { currentPeriod } from "./period";

// Budgets inside the pool (docs/rules.md, "Budgets inside the pool"): agent caps, one-off
// top-ups and the rows they keep. Alert rules are in alerts.ts.

export const budgetMigrations: Migration[] = [
  {
    name: "credits_v3_budgets",
    statements: [
      // Which agent a movement names, and which top-ups paid it (null: the pool paid it all).
      "ALTER TABLE credit_ledger ADD COLUMN agent_id TEXT",
      "ALTER TABLE credit_ledger ADD COLUMN sources TEXT",
      "ALTER TABLE credit_reservations ADD COLUMN agent_id TEXT",
      "ALTER TABLE credit_reservations ADD COLUMN sources TEXT",
      // The part of a period's use that top-ups paid: the pool's used is the rest.
      "ALTER TABLE credit_usage ADD COLUMN topup_used INTEGER NOT NULL DEFAULT 0",
      `CREATE TABLE credit_agent_usage (
        period_start INTEGER NOT NULL,
        agent_id TEXT NOT NULL,
        used INTEGER NOT NULL,
        PRIMARY KEY (period_start, agent_id)
      )`,
      "CREATE TABLE credit_agent_limits (agent_id TEXT PRIMARY KEY, credit_limit INTEGER NOT NULL)",
      `CREATE TABLE credit_topups (
        id TEXT PRIMARY KEY,
        credits INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        held INTEGER NOT NULL DEFAULT 0,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      "CREATE INDEX credit_topups_expires ON credit_topups (expires_at)",
      `CREATE TABLE credit_alert_rules (
        id TEXT PRIMARY KEY,
        metric TEXT NOT NULL,
        threshold REAL NOT NULL,
        scope TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE TABLE credit_alerts_fired (
        rule_id TEXT NOT NULL,
        period_start INTEGER NOT NULL,
        PRIMARY KEY (rule_id, period_start)
      )`,
    ],
  },
];

interface TopupRow {
  id: string;
  credits: number;
  used: number;
  held: number;
  expires_at: number;
  created_at: number;
}

const topupOf = (r: TopupRow): Topup => ({
  id: r.id,
  credits: r.credits,
  used: r.used,
  held: r.held,
  expiresAt: r.expires_at,
});

const byKey = (rows: { k: string; n: number }[]) => new Map(rows.map((r) => [r.k, r.n]));

interface RuleRow {
  id: string;
  metric: AlertRule["metric"];
  threshold: number;
  scope: string;
}

export const ruleOf = (r: RuleRow): AlertRule => ({
  id: r.id,
  metric: r.metric,
  threshold: r.threshold,
  scope: JSON.parse(r.scope),
});

export const loadRules = (store: Store): AlertRule[] =>
  store
    .all<RuleRow>("SELECT id, metric, threshold, scope FROM credit_alert_rules ORDER BY id")
    .map(ruleOf);

/** The budget figures at `now` in the period that started at `periodStart`, from storage. */
export function loadBudgets(store: Store, now: Instant, periodStart: Instant): BudgetCounters {
  return {
    agents: new Set(store.all<{ id: string }>("SELECT id FROM agents").map((r) => r.id)),
    agentUsed: byKey(
      store.all(
        "SELECT agent_id AS k, used AS n FROM credit_agent_usage WHERE period_start = ?",
        periodStart,
      ),
    ),
    agentHeld: byKey(
      store.all(
        `SELECT agent_id AS k, SUM(credits) AS n FROM credit_reservations
         WHERE state = 'open' AND expires_at > ? AND agent_id IS NOT NULL GROUP BY agent_id`,
        now,
      ),
    ),
    agentLimits: byKey(
      store.all("SELECT agent_id AS k, credit_limit AS n FROM credit_agent_limits"),
    ),
    topups: store
      .all<TopupRow>(
        "SELECT * FROM credit_topups WHERE expires_at > ? OR held <> 0 ORDER BY expires_at, id",
        now,
      )
      .map(topupOf),
    topupUsed: topupUsedIn(store, periodStart),
    alertRules: loadRules(store),
    alertsFired: new Set(
      store
        .all<{ rule_id: string }>(
          "SELECT rule_id FROM credit_alerts_fired WHERE period_start = ?",
          periodStart,
        )
        .map((r) => r.rule_id),
    ),
  };
}

/** Credits of the period that started at `periodStart` that top-ups paid (not the pool's). */
export const topupUsedIn = (store: Store, periodStart: Instant): number =>
  store.one<{ n: number | null }>(
    "SELECT SUM(topup_used) AS n FROM credit_usage WHERE period_start = ?",
    periodStart,
  )?.n ?? 0;

/** From the object's counters when it passes them (no storage read), else from storage. */
export const budgetsOf = (ctx: WorkspaceContext, periodStart: Instant): BudgetCounters =>
  ctx.counters?.budgets ?? loadBudgets(ctx.store, ctx.now, periodStart);

export const agentUse = (b: BudgetCounters, agentId: string): AgentUse => ({
  agentId,
  used: b.agentUsed.get(agentId) ?? 0,
  held: b.agentHeld.get(agentId) ?? 0,
  limit: b.agentLimits.get(agentId) ?? null,
});

/** The part of the pool's counters that top-ups paid or hold. */
export const topupParts = (b: BudgetCounters) => ({
  used: b.topupUsed,
  held: b.topups.reduce((n, t) => n + t.held, 0),
});

/** A spend naming an agent the workspace does not have is the caller's mistake: a 400. */
export const unknownAgent = (agentId: string) =>
  fail<never>(
    "invalid_request",
    `Invalid request: agentId: no agent ${agentId} in this workspace`,
    [{ path: "agentId", message: `no agent ${agentId} in this workspace` }],
  );

export const parseSources = (text: string | null | undefined): Sources | null =>
  text === null || text === undefined ? null : (JSON.parse(text) as Sources);

// ---- views ---------------------------------------------------------------------------------

export const topupView = (t: Topup, now: Instant) => ({
  id: t.id,
  credits: t.credits,
  used: t.used,
  held: t.held,
  remaining: topupRemaining(t, now),
  expiresAt: iso(t.expiresAt),
  active: topupActive(t, now),
});

export const agentView = (a: AgentUse, deleted: boolean) => ({
  agentId: a.agentId,
  deleted,
  creditsUsed: a.used,
  creditsHeld: a.held,
  creditLimit: a.limit,
  creditsRemaining: agentRemainingOf(a),
});

/**
 * Every agent of the workspace, and every deleted agent with use this period (its use stays
 * counted and listed), in id order.
 */
export function agentsView(b: BudgetCounters) {
  const ids = new Set([
    ...b.agents,
    ...[...b.agentUsed].filter(([, n]) => n !== 0).map(([k]) => k),
  ]);
  return [...ids].sort().map((id) => agentView(agentUse(b, id), !b.agents.has(id)));
}

// ---- admin and platform calls --------------------------------------------------------------

/** A cap reserves nothing; 0 stops the agent; below what it used stops it too. */
export function setAgentLimit(ctx: WorkspaceContext, agentId: string, limit: number | null) {
  const exists = ctx.store.one("SELECT 1 AS x FROM agents WHERE id = ?", agentId) !== undefined;
  if (!exists) return fail("not_found", `No agent ${agentId} in this workspace.`);
  if (limit === null) {
    ctx.store.run("DELETE FROM credit_agent_limits WHERE agent_id = ?", agentId);
  } else {
    ctx.store.run(
      `INSERT INTO credit_agent_limits (agent_id, credit_limit) VALUES (?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET credit_limit = excluded.credit_limit`,
      agentId,
      limit,
    );
  }
  const budgets = loadBudgets(ctx.store, ctx.now, currentPeriod(ctx).start);
  return ok(agentView(agentUse(budgets, agentId), false));
}

export interface TopupInput {
  id: string;
  credits: number;
  expiresAt: string;
}

/**
 * Stores a top-up once: posting the same id again with the same credits and expiry changes
 * nothing and answers it again; with other figures it is refused (a top-up is bought once).
 */
export function putTopup(ctx: WorkspaceContext, input: TopupInput) {
  const expiresAt = Date.parse(input.expiresAt);
  const existing = ctx.store.one<TopupRow>("SELECT * FROM credit_topups WHERE id = ?", input.id);
  if (existing !== undefined) {
    if (existing.credits !== input.credits || existing.expires_at !== expiresAt) {
      return fail(
        "already_exists",
        `Top-up ${input.id} already exists with ${existing.credits} credits expiring at ${iso(existing.expires_at)}; a top-up is bought once.`,
      );
    }
    return ok({
      ...topupView(topupOf(existing), ctx.now),
      created: false,
      createdAt: iso(existing.created_at),
    });
  }
  const active =
    ctx.store.one<{ n: number }>(
      "SELECT COUNT(*) AS n FROM credit_topups WHERE expires_at > ?",
      ctx.now,
    )?.n ?? 0;
  if (expiresAt > ctx.now && active >= MAX_ACTIVE_TOPUPS) {
    return fail(
      "too_many_topups",
      `This workspace already has ${MAX_ACTIVE_TOPUPS} active top-ups; let one be used up or expire.`,
    );
  }
  ctx.store.run(
    "INSERT INTO credit_topups (id, credits, used, held, expires_at, created_at) VALUES (?, ?, 0, 0, ?, ?)",
    input.id,
    input.credits,
    expiresAt,
    ctx.now,
  );
  const t: Topup = { id: input.id, credits: input.credits, used: 0, held: 0, expiresAt };
  return ok({ ...topupView(t, ctx.now), created: true, createdAt: iso(ctx.now) });
}

/** When the next top-up expires (its credits stop counting), or null. */
export const nextTopupExpiry = (store: Store, now: Instant): Instant | null =>
  store.one<{ at: number | null }>(
    "SELECT MIN(expires_at) AS at FROM credit_topups WHERE expires_at > ?",
    now,
  )?.at ?? null;
