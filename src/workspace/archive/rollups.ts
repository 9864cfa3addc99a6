import { DAY_MS, type Instant } from "../../policy/time";
import type { Migration, Store } from "../../storage";
import { LEDGER_FLOOR_KEY } from "../memoryLedger";

/**
 * Daily roll-ups of the ledger (docs/rules.md, "History is never lost"): what every entry adds
 * up to, per day, period, kind, feature and agent, kept 10 years in the object. They are kept
 * current off the hot path: the alarm rolls up the entries after the pointer (meta
 * `ROLLUP_POINTER_KEY`) in bounded steps, each in one transaction with the pointer, and the
 * archive prunes only entries at or below it, so every entry counts exactly once: in the
 * roll-ups through the pointer, as a raw row after it (docs/history.md). Keyed with an `agent`
 * column (the agent a spend named, '' for none: docs/budgets.md).
 *
 * A roll-up's `day` is the start of a slice: a UTC day, or, when its period does not start at
 * midnight, the part of that UTC day before or after the period's day boundary. So a slice lies
 * in one UTC day (the finance export's days) and in one day of its period (the daily chart's).
 * Roll-ups written before the slices (archived entries only) are whole UTC days.
 */
export const ROLLUP_RETENTION_MS = 3653 * DAY_MS;
/** The meta key of the last ledger sequence the roll-ups hold (0: none). */
export const ROLLUP_POINTER_KEY = "credits.rolledThrough";
/** Entries per roll-up step: one transaction, a few thousand rows at most. */
export const ROLLUP_BATCH_ROWS = 2_000;

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
  {
    // Roll-ups kept current: entries archived before this were rolled up when archived, the raw
    // ones never were, so the pointer starts at the ledger's floor (the last archived sequence).
    name: "rollups_v2_pointer",
    statements: [
      `INSERT OR IGNORE INTO meta (key, value) VALUES ('${ROLLUP_POINTER_KEY}',
        COALESCE((SELECT value FROM meta WHERE key = '${LEDGER_FLOOR_KEY}'), '0'))`,
    ],
  },
];

/**
 * The slice an entry at `at` of the period that started at `periodStart` is rolled up in: its
 * UTC day, split at the period's day boundary (the time of day the period started).
 */
export function sliceOf(at: Instant, periodStart: Instant): Instant {
  const day = Math.floor(at / DAY_MS) * DAY_MS;
  const boundary = day + (((periodStart % DAY_MS) + DAY_MS) % DAY_MS);
  return at >= boundary ? boundary : day;
}

export interface RolledEntry {
  at: number;
  kind: string;
  feature: string | null;
  credits: number;
  period_start: number;
  agent_id: string | null;
}

/** Adds entries to the roll-ups: one upsert per (slice, period, kind, feature, agent) among them. */
function rollUpLedger(store: Store, entries: readonly RolledEntry[]): void {
  const sums = new Map<
    string,
    { key: [number, number, string, string, string]; credits: number; n: number }
  >();
  for (const e of entries) {
    const key: [number, number, string, string, string] = [
      sliceOf(e.at, e.period_start),
      e.period_start,
      e.kind,
      e.feature ?? "",
      e.agent_id ?? "",
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
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, period_start, kind, feature, agent)
       DO UPDATE SET credits = credits + excluded.credits, entries = entries + excluded.entries`,
      ...key,
      credits,
      n,
    );
  }
}

/** The last ledger sequence the roll-ups hold (0: none). */
export const rolledThrough = (store: Store): number =>
  store.getMeta<number>(ROLLUP_POINTER_KEY) ?? 0;

/**
 * One roll-up step, in the caller's transaction: the entries after the pointer, at most
 * `ROLLUP_BATCH_ROWS` of them and none after `through`, are added to the roll-ups and the
 * pointer moves to the last of them. Answers the pointer and whether entries are left after it
 * (up to `through`). A range of the ledger's primary key: it reads only what it rolls up.
 */
export function rollUpStep(
  store: Store,
  through = Number.MAX_SAFE_INTEGER,
): { through: number; more: boolean } {
  const from = rolledThrough(store);
  const rows = store.all<RolledEntry & { id: number }>(
    `SELECT id, at, kind, feature, credits, period_start, agent_id FROM credit_ledger
     WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
    from,
    through,
    ROLLUP_BATCH_ROWS,
  );
  const last = rows.at(-1)?.id;
  if (last === undefined) return { through: from, more: false };
  rollUpLedger(store, rows);
  store.setMeta(ROLLUP_POINTER_KEY, last);
  return { through: last, more: rows.length === ROLLUP_BATCH_ROWS && last < through };
}

/**
 * Rolls up every entry through `through` (the archive, before it deletes them: an entry leaves
 * the object only once the roll-ups hold it). Bounded by the archive's batch, which is the
 * ledger's oldest entries.
 */
export function rollUpThrough(store: Store, through: number): void {
  let step = rollUpStep(store, through);
  while (step.more) step = rollUpStep(store, through);
}

/** Credits charged (debits and commits, what `used` counts) in one slice, feature and agent. */
export interface ChargedSlice {
  /** The slice's start (see above): a UTC day, or a part of one split at the period's boundary. */
  slice: Instant;
  periodStart: Instant;
  feature: string;
  /** The agent the spends named; null: none. */
  agent: string | null;
  credits: number;
}

const CHARGED = "kind IN ('debit', 'commit')";
/** The roll-ups' charged credits in a range of slices: a range of their primary key's first column. */
export const ROLLED_SLICES_SQL = `SELECT day, period_start, feature, agent, credits FROM credit_daily
  WHERE day >= ? AND day < ? AND ${CHARGED}`;
/** The raw entries the roll-ups do not hold yet: a range of the ledger's primary key. */
export const UNROLLED_SQL = `SELECT at, kind, feature, credits, period_start, agent_id FROM credit_ledger
  WHERE id > ? AND ${CHARGED}`;

/**
 * Charged credits per slice with `from` <= slice < `to` (and of one period, when given): the
 * roll-ups, plus the raw entries after the pointer (a primary-key range: what the alarm has not
 * rolled up yet, a minute or so of entries). Read in one synchronous turn, so the pointer, the
 * roll-ups and the tail agree.
 */
export function chargedSlices(
  store: Store,
  from: Instant,
  to: Instant,
  periodStart?: Instant,
): ChargedSlice[] {
  const sums = new Map<string, ChargedSlice>();
  const add = (slice: number, period: number, feature: string, agent: string, credits: number) => {
    if (slice < from || slice >= to) return;
    if (periodStart !== undefined && period !== periodStart) return;
    const id = `${slice}|${period}|${feature}|${agent}`;
    const sum = sums.get(id);
    if (sum !== undefined) sum.credits += credits;
    else {
      sums.set(id, {
        slice,
        periodStart: period,
        feature,
        agent: agent === "" ? null : agent,
        credits,
      });
    }
  };
  const pointer = rolledThrough(store);
  const rolled = store.all<{
    day: number;
    period_start: number;
    feature: string;
    agent: string;
    credits: number;
  }>(ROLLED_SLICES_SQL, from, to);
  for (const r of rolled) add(r.day, r.period_start, r.feature, r.agent, r.credits);
  const tail = store.all<RolledEntry>(UNROLLED_SQL, pointer);
  for (const e of tail) {
    add(
      sliceOf(e.at, e.period_start),
      e.period_start,
      e.feature ?? "",
      e.agent_id ?? "",
      e.credits,
    );
  }
  return [...sums.values()];
}

const byKey =
  <T extends { periodStart: number; feature: string; agent: string | null }>(
    at: (row: T) => number,
  ) =>
  (a: T, b: T): number =>
    at(a) - at(b) ||
    a.periodStart - b.periodStart ||
    a.feature.localeCompare(b.feature) ||
    (a.agent ?? "").localeCompare(b.agent ?? "");

/** Credits charged on one UTC day, in one period, by one feature and agent. */
export interface CreditsPerDay {
  /** The UTC day's start (midnight, ms). */
  day: Instant;
  /** The billing period the credits counted in (a day that saw a renewal has two). */
  periodStart: Instant;
  feature: string;
  /** The agent the spends named; null: none. */
  agent: string | null;
  credits: number;
}

/**
 * Credits charged per UTC day, period, feature and agent, for the days `fromDay` <= day <
 * `toDay` (instants; a day is [midnight, next midnight) UTC): the one read of credits per day
 * (the daily chart, statements, the forecast and the fleet's daily export read this, never the
 * raw ledger by scan). Debits and commits, as `used` counts them; rows with credits, sorted by
 * day, period, feature, agent.
 */
export function creditsPerDay(store: Store, fromDay: Instant, toDay: Instant): CreditsPerDay[] {
  const from = Math.floor(fromDay / DAY_MS) * DAY_MS;
  const to = Math.ceil(toDay / DAY_MS) * DAY_MS;
  const days = new Map<string, CreditsPerDay>();
  for (const s of chargedSlices(store, from, to)) {
    const day = Math.floor(s.slice / DAY_MS) * DAY_MS;
    const id = `${day}|${s.periodStart}|${s.feature}|${s.agent ?? ""}`;
    const sum = days.get(id);
    if (sum !== undefined) sum.credits += s.credits;
    else
      days.set(id, {
        day,
        periodStart: s.periodStart,
        feature: s.feature,
        agent: s.agent,
        credits: s.credits,
      });
  }
  return [...days.values()].filter((d) => d.credits !== 0).sort(byKey((d) => d.day));
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
