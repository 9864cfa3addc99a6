import { dayStart } from "../policy/exports";
import { DAY_MS, type Instant } from "../policy/time";
import type { Store } from "../storage";
import { type Statement, statementsToReport } from "./archive/statements";
import { LEDGER_FLOOR_KEY } from "./memoryLedger";

/**
 * The workspace's share of the finance exports (docs/history.md#finance-exports), sent with its
 * fleet report (fleet.ts), from the alarm, never on a check or a spend:
 *
 * - the credits it charged since its last report, per UTC day and feature: the ledger entries
 *   after the last sequence the index has (a range of the ledger's primary key, so a report reads
 *   what is new, never a whole day of a busy workspace), added once by the report's number;
 * - the statements of periods closed since the last one the index has, replaced on a resend.
 *
 * The cron combines them into one file per day for the whole fleet (src/cron/exports.ts),
 * without waking any workspace.
 */

/** The last ledger sequence whose credits the index has (meta). */
export const CREDITS_SENT_KEY = "fleet_credits_sent";
/** The start of the last period whose statement the index has (meta). */
export const STATEMENTS_SENT_KEY = "fleet_statements_sent";
/** Ledger entries a report sums at most; a backlog goes with the next reports. */
export const CREDITS_PER_REPORT = 20_000;
/** Statements a report carries at most. */
export const STATEMENTS_PER_REPORT = 10;

/** Credits charged on a UTC day (its 00:00 instant) for a feature. */
export type CreditDelta = [day: Instant, feature: string, credits: number];

export interface CreditsShare {
  credits: CreditDelta[];
  /** The last sequence these credits cover: the index's mark once the report lands. */
  through: number;
  /** More entries are left after `through`. */
  more: boolean;
}

/** Debits and commits: what `used` counts (docs/credits.md); holds and expiries charge nothing. */
const CREDITS_SQL = `SELECT CAST(at / ${DAY_MS} AS INTEGER) AS day, feature, SUM(credits) AS credits
  FROM credit_ledger WHERE id > ? AND id <= ? AND kind IN ('debit', 'commit')
  GROUP BY day, feature ORDER BY day, feature`;

/**
 * The first ledger sequence dated at or after `at` (null: none), by a binary search on the
 * ledger's key: entries are appended in time order (an expiry, dated when its hold lapsed,
 * charges nothing), so about 25 indexed reads find it in any ledger, where a search on `at`
 * would scan it (the ledger carries no index but its key: docs/architecture.md).
 */
function firstSeqFrom(store: Store, at: Instant): number | null {
  const bounds = store.one<{ lo: number | null; hi: number | null }>(
    "SELECT MIN(id) AS lo, MAX(id) AS hi FROM credit_ledger",
  );
  if (bounds?.lo == null || bounds.hi == null) return null;
  let lo = bounds.lo;
  let hi = bounds.hi + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = store.one<{ id: number; at: number }>(
      "SELECT id, at FROM credit_ledger WHERE id >= ? ORDER BY id LIMIT 1",
      mid,
    );
    if (row === undefined || row.at >= at) hi = mid;
    else lo = row.id + 1;
  }
  return lo > bounds.hi ? null : lo;
}

/**
 * Where the index's mark stands. Before the first report (a new workspace, or one from before
 * the exports), just before yesterday's first entry: every day whose file is still to be
 * written. Kept at once, so the search runs once per workspace.
 */
function creditsSent(store: Store, now: Instant): number {
  const sent = store.getMeta<number>(CREDITS_SENT_KEY);
  if (sent !== undefined) return sent;
  const first = firstSeqFrom(store, dayStart(now) - DAY_MS);
  const last = store.one<{ last: number | null }>("SELECT MAX(id) AS last FROM credit_ledger");
  const mark =
    first !== null ? first - 1 : (last?.last ?? store.getMeta<number>(LEDGER_FLOOR_KEY) ?? 0);
  store.setMeta(CREDITS_SENT_KEY, mark);
  return mark;
}

/** Whether the ledger holds entries after the index's mark (or the mark is not set yet). */
export function creditsWaiting(store: Store): boolean {
  const sent = store.getMeta<number>(CREDITS_SENT_KEY);
  if (sent === undefined) return true;
  const last = store.one<{ last: number | null }>("SELECT MAX(id) AS last FROM credit_ledger");
  return (last?.last ?? 0) > sent;
}

/** The credits charged since the index's mark, at most CREDITS_PER_REPORT entries of them. */
export function creditsShare(store: Store, now: Instant): CreditsShare {
  const from = creditsSent(store, now);
  const last = store.one<{ last: number | null }>("SELECT MAX(id) AS last FROM credit_ledger");
  const max = last?.last ?? null;
  if (max === null || max <= from) return { credits: [], through: from, more: false };
  const through = Math.min(max, from + CREDITS_PER_REPORT);
  const rows = store.all<{ day: number; feature: string | null; credits: number }>(
    CREDITS_SQL,
    from,
    through,
  );
  return {
    credits: rows.map((r) => [r.day * DAY_MS, r.feature ?? "", r.credits]),
    through,
    more: through < max,
  };
}

/** The closed periods' statements the index has not had yet (before any: closed since yesterday). */
export const statementsShare = (store: Store, now: Instant): Statement[] =>
  statementsToReport(
    store,
    store.getMeta<number>(STATEMENTS_SENT_KEY),
    dayStart(now) - DAY_MS,
    STATEMENTS_PER_REPORT,
  );

/** Marks what a landed report carried as the index's. */
export function markSent(store: Store, through: number | null, statements: Statement[]): void {
  if (through !== null && store.getMeta<number>(CREDITS_SENT_KEY) !== through) {
    store.setMeta(CREDITS_SENT_KEY, through);
  }
  const last = statements.at(-1);
  if (last !== undefined) store.setMeta(STATEMENTS_SENT_KEY, Date.parse(last.periodStart));
}

/**
 * A day's credits go to the day's figures until the cron seals the day (fleet_export_days, as it
 * starts writing the day's file), then to the day's open correction (docs/history.md#late-figures-correction-files):
 * one of the two statements adds, the other finds nothing to insert. Both add once per report
 * number.
 */
const ADD_CREDITS = `INSERT INTO fleet_credits_daily (day, workspace_id, feature, credits)
  SELECT ?, ?, ?, ? WHERE NOT EXISTS
    (SELECT 1 FROM fleet_workspaces WHERE workspace_id = ? AND report_seq >= ?)
    AND NOT EXISTS (SELECT 1 FROM fleet_export_days WHERE kind = 'credits' AND day = ?)
  ON CONFLICT (day, workspace_id, feature) DO UPDATE SET credits = credits + excluded.credits`;

const ADD_LATE_CREDITS = `INSERT INTO fleet_credits_late (day, correction, workspace_id, feature, credits)
  SELECT day, next_correction, ?, ?, ? FROM fleet_export_days
  WHERE kind = 'credits' AND day = ? AND NOT EXISTS
    (SELECT 1 FROM fleet_workspaces WHERE workspace_id = ? AND report_seq >= ?)
  ON CONFLICT (day, correction, workspace_id, feature)
  DO UPDATE SET credits = credits + excluded.credits`;

const PUT_STATEMENT = `INSERT INTO fleet_statements (workspace_id, period_start, closed_day, body)
  SELECT ?, ?, ?, ? WHERE NOT EXISTS
    (SELECT 1 FROM fleet_export_days WHERE kind = 'statements' AND day = ?)
  ON CONFLICT (workspace_id, period_start)
  DO UPDATE SET closed_day = excluded.closed_day, body = excluded.body`;

/** After the seal, a statement whose body differs from the one the index last had. */
const PUT_LATE_STATEMENT = `INSERT INTO fleet_statements_late
    (closed_day, correction, workspace_id, period_start, body)
  SELECT day, next_correction, ?, ?, ? FROM fleet_export_days
  WHERE kind = 'statements' AND day = ? AND ? IS NOT (SELECT body FROM
    (SELECT body, correction FROM fleet_statements_late WHERE workspace_id = ? AND period_start = ?
     UNION ALL
     SELECT body, 0 FROM fleet_statements WHERE workspace_id = ? AND period_start = ?)
    ORDER BY correction DESC LIMIT 1)
  ON CONFLICT (closed_day, correction, workspace_id, period_start)
  DO UPDATE SET body = excluded.body`;

/**
 * The report's statements for the exports, before its row's upsert in the same batch: the
 * credits are added only if the index holds no report of this number or later (a report that
 * landed but whose answer was lost adds nothing the second time); statements are replaced. A day
 * whose file the cron has sealed gets them in its open correction instead (a statement only when
 * its body is not the one the index has).
 */
export function exportStatements(
  db: D1Database,
  workspaceId: string,
  seq: number,
  credits: readonly CreditDelta[],
  statements: readonly Statement[],
): D1PreparedStatement[] {
  return [
    ...credits.flatMap(([day, feature, n]) => [
      db.prepare(ADD_CREDITS).bind(day, workspaceId, feature, n, workspaceId, seq, day),
      db.prepare(ADD_LATE_CREDITS).bind(workspaceId, feature, n, day, workspaceId, seq),
    ]),
    ...statements.flatMap((s) => {
      const periodStart = Date.parse(s.periodStart);
      const closedDay = dayStart(Date.parse(s.closedAt));
      const body = JSON.stringify(s);
      return [
        db.prepare(PUT_STATEMENT).bind(workspaceId, periodStart, closedDay, body, closedDay),
        db
          .prepare(PUT_LATE_STATEMENT)
          .bind(
            workspaceId,
            periodStart,
            body,
            closedDay,
            body,
            workspaceId,
            periodStart,
            workspaceId,
            periodStart,
          ),
      ];
    }),
  ];
}
