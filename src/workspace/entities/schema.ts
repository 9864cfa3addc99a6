import type { EntityKind, EntityStatus, LeadOutcome } from "../../policy/entities";
import { ENTITY_POOLS } from "../../policy/entities";
import { OK } from "../../policy/episode";
import type { Instant } from "../../policy/time";
import type { Migration } from "../../storage";

// The entities' tables and the lookups every call makes.

/**
 * Built for a million entities in one object: one narrow row per entity keyed by (kind, id)
 * without a rowid, indexed by pool, status and create/reopen order (so "oldest blocked" and
 * "newest active" are indexed range reads), and each pool's figures kept as counters in a
 * two-row table. No call counts or scans rows.
 */
export const entityMigrations: Migration[] = [
  {
    name: "entities_v1",
    statements: [
      `CREATE TABLE entities (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        seq INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) WITHOUT ROWID`,
      `CREATE TABLE entity_blocked (
        pool TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        PRIMARY KEY (pool, seq)
      ) WITHOUT ROWID`,
      `CREATE TABLE entity_pools (
        pool TEXT PRIMARY KEY,
        counted INTEGER NOT NULL,
        blocked INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        episode TEXT NOT NULL
      )`,
      ...ENTITY_POOLS.map(
        (pool) =>
          `INSERT INTO entity_pools (pool, counted, blocked, last_seq, episode)
           VALUES ('${pool}', 0, 0, 0, '${JSON.stringify(OK)}')`,
      ),
    ],
  },
  {
    // Enforcement blocks the newest active entities of a pool, so rows are indexed by pool and
    // status in create/reopen order; the same index serves the blocked queue (oldest first),
    // which replaces the separate queue table. `blocking` holds an enforcement still being
    // applied in batches (see Blocking).
    name: "entities_v2_pool_order",
    statements: [
      `ALTER TABLE entities ADD COLUMN pool TEXT GENERATED ALWAYS AS
         (CASE kind WHEN 'leads' THEN 'leads' ELSE 'contactsAndCompanies' END) VIRTUAL`,
      "CREATE INDEX entities_by_pool ON entities (pool, status, seq)",
      "DROP TABLE entity_blocked",
      "ALTER TABLE entity_pools ADD COLUMN blocking TEXT",
    ],
  },
];

const ROW = "kind, id, status, outcome, seq, updated_at";

/** The lookups every call makes; exported so a test can check each is an index search. */
export const LOOKUPS = {
  entity: `SELECT ${ROW} FROM entities WHERE kind = ? AND id = ?`,
  pool: "SELECT counted, blocked, last_seq, episode, blocking FROM entity_pools WHERE pool = ?",
  oldestBlocked: `SELECT ${ROW} FROM entities WHERE pool = ? AND status = 'blocked' ORDER BY seq LIMIT ?`,
  newestPending: `SELECT ${ROW} FROM entities
    WHERE pool = ? AND status = 'active' AND seq > ? ORDER BY seq DESC LIMIT ?`,
  nthNewestActive: `SELECT seq FROM entities
    WHERE pool = ? AND status = 'active' AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?`,
  nthOldestActive: `SELECT seq FROM entities
    WHERE pool = ? AND status = 'active' AND seq <= ? ORDER BY seq LIMIT 1 OFFSET ?`,
  nthOldestPending: `SELECT seq FROM entities
    WHERE pool = ? AND status = 'active' AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?`,
} as const;

export interface EntityRow {
  kind: EntityKind;
  id: string;
  status: EntityStatus;
  outcome: LeadOutcome | null;
  seq: number;
  updated_at: Instant;
}
