import { DAY_MS, earliest, type Instant } from "../../policy/time";
import type { Store } from "../../storage";
import { IDEMPOTENCY_RETENTION_MS } from "../idempotency";

// Bounded retention of the credit history.

/** Closed reservations answer precise 409s for as long as a retry could arrive, then go. */
const CLOSED_RESERVATION_RETENTION_MS = IDEMPOTENCY_RETENTION_MS;
/**
 * Counters and expired packages older than this are pruned (13+ periods). Ledger entries are
 * not pruned: the archive takes them (archive/index.ts, docs/rules.md "History is never lost").
 */
export const HISTORY_RETENTION_MS = 400 * DAY_MS;

/** Rows pruned per table per housekeeping run; a full batch has the alarm come back at once. */
const PRUNE_BATCH = 1_000;

/**
 * Bounded retention, run by housekeeping (the alarm, the cron, a test clock move), never by a
 * check or spend: old rows of each history table, oldest first. True when a batch was full.
 */
export function pruneCredits(store: Store, now: Instant): boolean {
  const deleted = [
    store.all(
      `DELETE FROM credit_reservations WHERE id IN (
         SELECT id FROM credit_reservations WHERE closed_at < ? ORDER BY closed_at LIMIT ?)
       RETURNING 1`,
      now - CLOSED_RESERVATION_RETENTION_MS,
      PRUNE_BATCH,
    ).length,
    store.all(
      `DELETE FROM credit_packages WHERE id IN (
         SELECT id FROM credit_packages WHERE expires_at < ? ORDER BY expires_at LIMIT ?)
       RETURNING 1`,
      now - HISTORY_RETENTION_MS,
      PRUNE_BATCH,
    ).length,
  ];
  return deleted.some((n) => n >= PRUNE_BATCH);
}

/** When the oldest kept credit history passes its retention (null: nothing kept). */
export function creditsPruneDeadline(store: Store): Instant | null {
  const closed = store.one<{ at: number | null }>(
    "SELECT MIN(closed_at) AS at FROM credit_reservations",
  )?.at;
  const pkg = store.one<{ at: number | null }>(
    "SELECT MIN(expires_at) AS at FROM credit_packages",
  )?.at;
  return earliest(
    closed == null ? null : closed + CLOSED_RESERVATION_RETENTION_MS,
    pkg == null ? null : pkg + HISTORY_RETENTION_MS,
  );
}
