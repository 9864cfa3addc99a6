import type { Outcome } from "../errors";
import { DAY_MS, type Instant } from "../policy/time";
import type { Migration, Store } from "./store";

export const IDEMPOTENCY_RETENTION_MS = DAY_MS;
/** Expired keys are pruned a few at a time so no single call pays for a large backlog. */
const PRUNE_BATCH = 64;

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

export function remember(
  store: Store,
  key: string,
  fingerprint: string,
  outcome: Outcome<unknown>,
  now: Instant,
): void {
  store.run(
    `INSERT INTO idempotency (key, fingerprint, outcome, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint,
       outcome = excluded.outcome, created_at = excluded.created_at`,
    key,
    fingerprint,
    JSON.stringify(outcome),
    now,
  );
  store.run(
    `DELETE FROM idempotency WHERE key IN (
       SELECT key FROM idempotency WHERE created_at <= ? ORDER BY created_at LIMIT ?)`,
    now - IDEMPOTENCY_RETENTION_MS,
    PRUNE_BATCH,
  );
}
