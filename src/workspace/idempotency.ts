import { fail, type Outcome } from "../outcome";
import { DAY_MS, type Instant } from "../policy/time";
import type { Migration, Store } from "../storage";
import type { CallMeta } from "./context";
import type { Domain } from "./domain";

export const IDEMPOTENCY_RETENTION_MS = DAY_MS;
/** Expired keys deleted per housekeeping run; a full batch has the alarm come back at once. */
const PRUNE_BATCH = 1_000;

export const idempotencyMigrations: Migration[] = [
  {
    name: "idempotency_v1",
    statements: [
      `CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        outcome TEXT NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      "CREATE INDEX idempotency_created_at ON idempotency (created_at)",
    ],
  },
  {
    // Keys are pruned in rowid order (the order they were remembered in), so remembering one
    // writes no index row on created_at.
    name: "idempotency_v2_rowid_order",
    statements: ["DROP INDEX idempotency_created_at"],
  },
];

export type Prior =
  | { kind: "new" }
  | { kind: "replay"; outcome: Outcome<unknown> }
  | { kind: "conflict" };

export function findPrior(store: Store, key: string, fingerprint: string, now: Instant): Prior {
  const row = store.one<{ fingerprint: string; outcome: string; created_at: number }>(
    "SELECT fingerprint, outcome, created_at FROM idempotency WHERE key = ?",
    key,
  );
  if (row === undefined || row.created_at <= now - IDEMPOTENCY_RETENTION_MS) return { kind: "new" };
  if (row.fingerprint !== fingerprint) return { kind: "conflict" };
  return { kind: "replay", outcome: JSON.parse(row.outcome) as Outcome<unknown> };
}

/**
 * Remembers an answer. REPLACE (an expired key used again) deletes the old row and appends a
 * new one, so rowid order stays the order of created_at and pruning reads from the front.
 */
export function remember(
  store: Store,
  key: string,
  fingerprint: string,
  outcome: Outcome<unknown>,
  now: Instant,
): void {
  store.run(
    "INSERT OR REPLACE INTO idempotency (key, fingerprint, outcome, created_at) VALUES (?, ?, ?, ?)",
    key,
    fingerprint,
    JSON.stringify(outcome),
    now,
  );
}

/**
 * Deletes expired keys from the front of the table (housekeeping, not the hot path); an expired
 * key is already answered as new, so pruning late changes no answer. True when a batch was full.
 */
export function pruneIdempotency(store: Store, now: Instant): boolean {
  const deleted = store.all(
    `DELETE FROM idempotency WHERE rowid IN (
       SELECT rowid FROM idempotency ORDER BY rowid LIMIT ?) AND created_at <= ?
     RETURNING 1`,
    PRUNE_BATCH,
    now - IDEMPOTENCY_RETENTION_MS,
  ).length;
  return deleted >= PRUNE_BATCH;
}

/** When the oldest remembered key expires (null: none). */
export function idempotencyPruneDeadline(store: Store): Instant | null {
  const row = store.one<{ created_at: number }>(
    "SELECT created_at FROM idempotency ORDER BY rowid LIMIT 1",
  );
  return row === undefined ? null : row.created_at + IDEMPOTENCY_RETENTION_MS;
}

/** Remembered answers as one of the object's domains: their table and their housekeeping. */
export const idempotencyDomain: Domain = {
  migrations: idempotencyMigrations,
  prune: pruneIdempotency,
  pruneDeadline: idempotencyPruneDeadline,
};

/** A call's earlier answer under its Idempotency-Key; a call without a key is always new. */
export function priorOf(store: Store, meta: CallMeta, now: Instant): Prior {
  const { idempotencyKey: key, fingerprint } = meta;
  if (key === undefined || fingerprint === undefined) return { kind: "new" };
  return findPrior(store, key, fingerprint, now);
}

/** Remembers a call's answer under its Idempotency-Key, if it has one. */
export function rememberCall(
  store: Store,
  meta: CallMeta,
  outcome: Outcome<unknown>,
  now: Instant,
): void {
  const { idempotencyKey: key, fingerprint } = meta;
  if (key !== undefined && fingerprint !== undefined) {
    remember(store, key, fingerprint, outcome, now);
  }
}

export const idempotencyConflict = () =>
  fail<never>(
    "idempotency_conflict",
    "This Idempotency-Key was used with a different request in the last 24 hours.",
  );
