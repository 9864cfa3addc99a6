import { DAY_MS, type Instant } from "../../policy/time";
import type { Migration, Store } from "../../storage";

/**
 * Daily roll-ups of the ledger (docs/rules.md, "History is never lost"): what every archived
 * entry adds up to, per UTC day, period, kind, feature and agent, kept 10 years in the object.
 * An entry is rolled up in the transaction that deletes it from the object, so every entry
 * counts exactly once: in the roll-ups once archived, as a raw row before. Keyed with an
 * `agent` column ('' until agent budgets name one) so per-agent figures need no new table.
 */
export const ROLLUP_RETENTION_MS = 3653 * DAY_MS;

export const rollupMigrations: Migration[] = [
  {
    name: "rollups_v1",
    statements: [
      `CREATE TABLE credit_daily (
        day INTEGER NOT NULL,
        period_start INTEGER NOT NULL,
        kind TEXT NOT NULL,
        feature TEXT NOT NULL,
        agent TEXT NOT NULL DEFAULT '',
        credits INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        PRIMARY KEY (day, period_start, kind, feature, agent)
      )`,
      "CREATE INDEX credit_daily_period ON credit_daily (period_start)",
      // Refused consumes and reservations per UTC day, period, reason and feature: written by
      // the refusal itself (one upsert; an allowed spend writes none), kept 10 years.
      `CREATE TABLE credit_refusals_daily (
        day INTEGER NOT NULL,
        period_start INTEGER NOT NULL,
        reason TEXT NOT NULL,
        feature TEXT NOT NULL,
        agent TEXT NOT NULL DEFAULT '',
        refusals INTEGER NOT NULL,
        credits INTEGER NOT NULL,
        PRIMARY KEY (day, period_start, reason, feature, agent)
      )`,
      "CREATE INDEX credit_refusals_daily_period ON credit_refusals_daily (period_start)",
    ],
  },
];

interface RolledEntry {
  at: number;
  kind: string;
  feature: string | null;
  credits: number;
  period_start: number;
}

/** Adds entries to the roll-ups: one upsert per (day, period, kind, feature) among them. */
export function rollUpLedger(store: Store, entries: readonly RolledEntry[]): void {
  const sums = new Map<
    string,
    { key: [number, number, string, string]; credits: number; n: number }
  >();
  for (const e of entries) {
    const key: [number, number, string, string] = [
      Math.floor(e.at / DAY_MS) * DAY_MS,
      e.period_start,
      e.kind,
      e.feature ?? "",
    ];
    const id = key.join("|");
    const sum = sums.get(id) ?? { key, credits: 0, n: 0 };
    sum.credits += e.credits;
    sum.n += 1;
    sums.set(id, sum);
  }
  for (const { key, credits, n } of sums.values()) {
    store.run(
      `INSERT INTO credit_daily (day, period_start, kind, feature, agent, credits, entries)
       VALUES (?, ?, ?, ?, '', ?, ?)
       ON CONFLICT (day, period_start, kind, feature, agent)
       DO UPDATE SET credits = credits + excluded.credits, entries = entries + excluded.entries`,
      ...key,
      credits,
      n,
    );
  }
}

/** A refused spend, counted for its day and period (docs/rules.md, "History is never lost"). */
export function countRefusal(
  store: Store,
  at: Instant,
  periodStart: Instant,
  reason: string,
  feature: string,
  credits: number,
): void {
  store.run(
    `INSERT INTO credit_refusals_daily (day, period_start, reason, feature, agent, refusals, credits)
     VALUES (?, ?, ?, ?, '', 1, ?)
     ON CONFLICT (day, period_start, reason, feature, agent)
     DO UPDATE SET refusals = refusals + 1, credits = credits + excluded.credits`,
    Math.floor(at / DAY_MS) * DAY_MS,
    periodStart,
    reason,
    feature,
    credits,
  );
}

/** Refusals per reason in the period that started at `periodStart`. */
export const refusalsIn = (store: Store, periodStart: Instant): Record<string, number> =>
  Object.fromEntries(
    store
      .all<{ reason: string; n: number }>(
        `SELECT reason, SUM(refusals) AS n FROM credit_refusals_daily WHERE period_start = ?
         GROUP BY reason ORDER BY reason`,
        periodStart,
      )
      .map((r) => [r.reason, r.n]),
  );

const PRUNE_BATCH = 1_000;

/** Roll-ups older than ten years go (a bounded batch per table per housekeeping run). */
export function pruneRollups(store: Store, now: Instant): boolean {
  const deleted = ["credit_daily", "credit_refusals_daily"].map((table) =>
    store.run(
      `DELETE FROM ${table} WHERE rowid IN (
         SELECT rowid FROM ${table} WHERE day < ? ORDER BY day LIMIT ?)`,
      now - ROLLUP_RETENTION_MS,
      PRUNE_BATCH,
    ),
  );
  return deleted.some((n) => n >= PRUNE_BATCH);
}
