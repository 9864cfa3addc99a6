import type { Instant } from "../policy/time";
import type { SqlParam, Store } from "../storage";
import type { WorkspaceContext } from "./context";
import { writable } from "./memory";

/**
 * Memory's writer of the ledger's sequence (docs/architecture.md, "The object"): a part of
 * memory.ts kept in a file of its own. Every ledger entry is appended here, which writes the row
 * and the remembered sequence together, so a receipt (docs/rules.md#receipts) and the next
 * entry's number come from memory with no statement.
 */

/**
 * The meta key of the ledger's floor: the last sequence of entries no longer in the object
 * (archived, then deleted: docs/rules.md, "History is never lost"). Entries are numbered after
 * both the floor and every entry held, so a sequence is never reused even once the object
 * holds no entry at all.
 */
export const LEDGER_FLOOR_KEY = "credits.ledgerFloor";

/** The last ledger sequence written, from storage: the highest held, else the floor. */
export function storedLedgerSeq(store: Store): number {
  const held = store.one<{ id: number | null }>("SELECT MAX(id) AS id FROM credit_ledger")?.id;
  return Math.max(held ?? 0, store.getMeta<number>(LEDGER_FLOOR_KEY) ?? 0);
}

/** The last ledger sequence written (0: none yet): strictly increasing, never reused. */
export function lastLedgerSeq(ctx: WorkspaceContext): number {
  return ctx.counters?.ledgerSeq ?? storedLedgerSeq(ctx.store);
}

/** A ledger entry's columns, in credit_ledger's order after its id. */
export interface LedgerColumns {
  at: Instant;
  kind: string;
  feature: string | null;
  credits: number;
  reservationId: string | null;
  idempotencyKey: string | null;
  role: string | null;
  periodStart: Instant;
  /** The agent a spend named (docs/budgets.md), and the sources that paid it, as JSON. */
  agentId: string | null;
  sources: string | null;
}

/**
 * Appends a ledger entry under the next sequence (credit_ledger.id, given explicitly: the
 * table has no AUTOINCREMENT, so no sequence row is written) and answers that sequence.
 */
export function appendLedgerRow(ctx: WorkspaceContext, row: LedgerColumns): number {
  const c = writable(ctx);
  const seq = (c?.ledgerSeq ?? storedLedgerSeq(ctx.store)) + 1;
  const values: SqlParam[] = [
    seq,
    row.at,
    row.kind,
    row.feature,
    row.credits,
    row.reservationId,
    row.idempotencyKey,
    row.role,
    row.periodStart,
    row.agentId,
    row.sources,
  ];
  ctx.store.run(
    `INSERT INTO credit_ledger (id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start, agent_id, sources)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ...values,
  );
  if (c !== undefined) c.ledgerSeq = seq;
  return seq;
}
