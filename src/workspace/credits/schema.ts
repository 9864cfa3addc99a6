import type { Migration } from "../../storage";
import { LEDGER_FLOOR_KEY } from "../memory";

/** The stored Schedule: the period in force at the last settle and the anchor it follows. */
export const PERIOD_KEY = "credits.period";

export const creditMigrations: Migration[] = [
  {
    name: "credits_v1",
    statements: [
      // Append-only: every movement of credits (and every Copilot question) with who and why.
      `CREATE TABLE credit_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('debit','hold','commit','release','expire','question')),
        feature TEXT,
        credits INTEGER NOT NULL,
        reservation_id TEXT,
        idempotency_key TEXT,
        role TEXT,
        period_start INTEGER NOT NULL
      )`,
      "CREATE INDEX credit_ledger_at ON credit_ledger (at)",
      // Hot-path counters, so a decision never sums the ledger. Keyed by period start: a new
      // period reads fresh rows, which is the reset; nothing carries over.
      `CREATE TABLE credit_usage (
        period_start INTEGER NOT NULL,
        feature TEXT NOT NULL,
        used INTEGER NOT NULL,
        PRIMARY KEY (period_start, feature)
      )`,
      // Open reservations' credits per feature, whatever period they were made in.
      "CREATE TABLE credit_holds (feature TEXT PRIMARY KEY, held INTEGER NOT NULL)",
      `CREATE TABLE credit_reservations (
        id TEXT PRIMARY KEY,
        feature TEXT NOT NULL,
        credits INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        charged INTEGER,
        closed_at INTEGER
      )`,
      "CREATE INDEX credit_reservations_open ON credit_reservations (state, expires_at)",
      "CREATE INDEX credit_reservations_closed ON credit_reservations (closed_at)",
      "CREATE TABLE credit_feature_limits (feature TEXT PRIMARY KEY, credit_limit INTEGER NOT NULL)",
      `CREATE TABLE credit_packages (
        id TEXT PRIMARY KEY,
        credits INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      "CREATE INDEX credit_packages_expires ON credit_packages (expires_at)",
      // One row per (period, percent) that was announced: the event's uniqueness key.
      `CREATE TABLE credit_thresholds (
        period_start INTEGER NOT NULL,
        percent INTEGER NOT NULL,
        PRIMARY KEY (period_start, percent)
      )`,
      "CREATE TABLE copilot_questions (period_start INTEGER PRIMARY KEY, used INTEGER NOT NULL)",
    ],
  },
  {
    // A spend appends one ledger row and no index row: retention prunes the ledger in id order,
    // and a period's entries are read as the ids after its stored bound (set here, through the
    // index, for the period in force; every later period stores its own).
    name: "credits_v2_ledger_unindexed",
    statements: [
      `UPDATE meta SET value = json_set(value, '$.ledgerFrom', COALESCE(
         (SELECT MIN(id) - 1 FROM credit_ledger WHERE at >= json_extract(meta.value, '$.start')),
         (SELECT MAX(id) FROM credit_ledger), 0))
       WHERE key = '${PERIOD_KEY}'`,
      "DROP INDEX credit_ledger_at",
    ],
  },
  {
    // The ledger's sequence moves from SQLite's AUTOINCREMENT row to the object's memory
    // (memory.ts, appendLedgerRow), so a consume writes two rows instead of three. The table is
    // rebuilt without AUTOINCREMENT, every entry keeping its id; the last id AUTOINCREMENT ever
    // gave becomes the floor, so an id is never reused even if the newest entries were pruned.
    name: "credits_v3_ledger_sequence",
    statements: [
      `CREATE TABLE credit_ledger_v3 (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('debit','hold','commit','release','expire','question')),
        feature TEXT,
        credits INTEGER NOT NULL,
        reservation_id TEXT,
        idempotency_key TEXT,
        role TEXT,
        period_start INTEGER NOT NULL
      )`,
      `INSERT INTO credit_ledger_v3 (id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start)
       SELECT id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start
       FROM credit_ledger ORDER BY id`,
      `INSERT INTO meta (key, value)
       SELECT '${LEDGER_FLOOR_KEY}', COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'credit_ledger'`,
      "DROP TABLE credit_ledger",
      "ALTER TABLE credit_ledger_v3 RENAME TO credit_ledger",
    ],
  },
];
