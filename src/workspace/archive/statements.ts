import { fail, type Outcome, ok } from "../../outcome";
import { AI_FEATURES, type Plan } from "../../policy/catalogue";
import { type Instant, iso } from "../../policy/time";
import type { Migration, Store } from "../../storage";
import type { WorkspaceContext } from "../context";
import { creditsPerDay, refusalsIn } from "./rollups";

/**
 * Period statements (docs/history.md): each period's figures, fixed when it closes (a renewal
 * or an anchor change), in the settle that closes it: plan, seats, included credits, the
 * packages that counted, the balance at the close and the credits used per feature, taken from
 * the counters, which equal the ledger's sums (test/workspace/statements-history). One row per
 * closed period, kept 10 years like the roll-ups.
 */
export const statementMigrations: Migration[] = [
  {
    name: "statements_v1",
    statements: [
      `CREATE TABLE credit_statements (
        period_start INTEGER PRIMARY KEY,
        period_end INTEGER NOT NULL,
        closed_at INTEGER NOT NULL,
        plan TEXT NOT NULL,
        seats INTEGER NOT NULL,
        included_credits INTEGER NOT NULL,
        packages TEXT NOT NULL,
        balance INTEGER NOT NULL,
        used TEXT NOT NULL
      )`,
    ],
  },
];

interface PackageFigure {
  id: string;
  credits: number;
  createdAt: string;
  expiresAt: string;
}

/** A closed period's figures, as the settle that closes it sees them. */
export interface ClosedPeriod {
  start: Instant;
  end: Instant;
  balance: number;
  used: ReadonlyMap<string, number>;
}

/** Records a closed period's statement (a rerun of the same close writes the same row). */
export function recordStatement(ctx: WorkspaceContext, closed: ClosedPeriod): void {
  const packages = ctx.store
    .all<{ id: string; credits: number; created_at: number; expires_at: number }>(
      `SELECT id, credits, created_at, expires_at FROM credit_packages
       WHERE created_at < ? AND expires_at > ? ORDER BY created_at, id`,
      closed.end,
      closed.start,
    )
    .map(
      (p): PackageFigure => ({
        id: p.id,
        credits: p.credits,
        createdAt: iso(p.created_at),
        expiresAt: iso(p.expires_at),
      }),
    );
  ctx.store.run(
    `INSERT OR REPLACE INTO credit_statements
       (period_start, period_end, closed_at, plan, seats, included_credits, packages, balance, used)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    closed.start,
    closed.end,
    // Dated when it closed, not when a late settle noticed (docs/rules.md, "Events and due work").
    closed.end,
    ctx.subscription.plan,
    ctx.subscription.seats,
    ctx.limits.includedCredits,
    JSON.stringify(packages),
    closed.balance,
    JSON.stringify(Object.fromEntries(closed.used)),
  );
}

interface StatementRow {
  period_start: number;
  period_end: number;
  closed_at: number;
  plan: Plan;
  seats: number;
  included_credits: number;
  packages: string;
  balance: number;
  used: string;
}

/**
 * Credits charged in a period by spends naming an agent, per agent: from the daily roll-ups
 * (`creditsPerDay`, the period's days), never the raw ledger by scan.
 */
function usedByAgent(store: Store, row: StatementRow): Record<string, number> {
  const used = new Map<string, number>();
  for (const d of creditsPerDay(store, row.period_start, row.period_end)) {
    if (d.agent !== null && d.periodStart === row.period_start) {
      used.set(d.agent, (used.get(d.agent) ?? 0) + d.credits);
    }
  }
  return Object.fromEntries([...used].sort(([a], [b]) => a.localeCompare(b)));
}

function statementOf(store: Store, row: StatementRow) {
  const refusals = refusalsIn(store, row.period_start);
  const packages = JSON.parse(row.packages) as PackageFigure[];
  const stored = JSON.parse(row.used) as Record<string, number>;
  const usedByFeature = Object.fromEntries(AI_FEATURES.map((f) => [f, stored[f] ?? 0]));
  const used = Object.values(usedByFeature).reduce((a, b) => a + b, 0);
  const start = row.period_start;
  const opening =
    row.included_credits +
    packages
      .filter((p) => Date.parse(p.createdAt) <= start && Date.parse(p.expiresAt) > start)
      .reduce((n, p) => n + p.credits, 0);
  return {
    periodStart: iso(start),
    periodEnd: iso(row.period_end),
    closedAt: iso(row.closed_at),
    plan: row.plan,
    seats: row.seats,
    includedCredits: row.included_credits,
    packages,
    openingBalance: opening,
    balance: row.balance,
    used,
    usedByFeature,
    usedByAgent: usedByAgent(store, row),
    overrun: Math.max(0, used - row.balance),
    expiredCredits: Math.max(0, row.balance - used),
    closingBalance: row.balance - used,
    refusalsByReason: refusals,
  };
}

export type Statement = ReturnType<typeof statementOf>;

const COLUMNS =
  "period_start, period_end, closed_at, plan, seats, included_credits, packages, balance, used";

/** Closed periods, newest first, a page before `before` (a period start); at most `limit`. */
export function statementList(ctx: WorkspaceContext, before: Instant | undefined, limit: number) {
  const rows = ctx.store.all<StatementRow>(
    `SELECT ${COLUMNS} FROM credit_statements WHERE period_start < ?
     ORDER BY period_start DESC LIMIT ?`,
    before ?? Number.MAX_SAFE_INTEGER,
    limit + 1,
  );
  const page = rows.slice(0, limit).map((row) => statementOf(ctx.store, row));
  return {
    statements: page,
    hasMore: rows.length > limit,
    nextBefore: rows.length > limit ? (page.at(-1)?.periodStart ?? null) : null,
  };
}

export function statementAt(ctx: WorkspaceContext, periodStart: Instant): Outcome<Statement> {
  const row = ctx.store.one<StatementRow>(
    `SELECT ${COLUMNS} FROM credit_statements WHERE period_start = ?`,
    periodStart,
  );
  if (row === undefined) {
    return fail("not_found", `No closed period starts at ${iso(periodStart)}.`);
  }
  return ok(statementOf(ctx.store, row));
}
