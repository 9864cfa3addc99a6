import { DAY_MS, earliest, type Instant } from "../../policy/time";
import type { Store } from "../../storage";
import { IDEMPOTENCY_RETENTION_MS } from "../idempotency";

// Bounded retention of the credit history.

/** Closed reservations answer precise 409s for as long as a retry could arrive, then go. */
const CLOSED_RESERVATION_RETENTION_MS = IDEMPOTENCY_RETENTION_MS;
/** Ledger rows, counters and expired packages older than this are pruned (13+ periods). */
export const HISTORY_RETENTION_MS = 400 * DAY_MS;

/** Rows pruned per table per housekeeping run; a full batch has the alarm come back at once. */
const PRUNE_BATCH = 1_000;

/**
 * Bounded retention, run by housekeeping (the alarm, the cron, a test clock move), never by a
 * check or spend: old rows of each history table, oldest first. True when a batch was full.
 * The ledger is pruned in id order (its insertion order, which follows `at` up to a hold's TTL),
 * so appending to it updates no index on `at`.
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
      `DELETE FROM credit_ledger WHERE id IN (
         SELECT id FROM credit_ledger ORDER BY id LIMIT ?) AND at < ?
       RETURNING 1`,
      PRUNE_BATCH,
      now - HISTORY_RETENTION_MS,
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
  const ledger = store.one<{ at: number }>("SELECT at FROM credit_ledger ORDER BY id LIMIT 1")?.at;
  const pkg = store.one<{ at: number | null }>(
    "SELECT MIN(expires_at) AS at FROM credit_packages",
  )?.at;
  return earliest(
    closed == null ? null : closed + CLOSED_RESERVATION_RETENTION_MS,
    ledger == null ? null : ledger + HISTORY_RETENTION_MS,
    pkg == null ? null : pkg + HISTORY_RETENTION_MS,
  );
}
