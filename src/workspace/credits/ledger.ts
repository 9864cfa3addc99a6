import { fail, type Outcome, ok } from "../../outcome";
import type { AiFeature } from "../../policy/catalogue";
import type { LedgerKind } from "../../policy/ledgerView";
import { type Instant, iso } from "../../policy/time";
import type { CallMeta, WorkspaceContext } from "../context";
import { nextCursor, readCursor } from "../cursors";
import { appendLedgerRow, lastLedgerSeq, storedLedgerSeq } from "../memoryLedger";

// The credit ledger: append-only, one row per movement of credits or Copilot question.

interface LedgerEntry {
  at: Instant;
  kind: LedgerKind;
  feature: AiFeature | null;
  credits: number;
  reservationId?: string;
  periodStart: Instant;
  meta?: CallMeta;
  /** The agent the movement names (docs/rules.md, "Budgets inside the pool"). */
  agentId?: string | null;
  /** Which sources paid, held or got the credits back; null or absent: the pool alone. */
  sources?: [string, number][] | null;
}

/** Appends an entry under the ledger's next sequence (memory.ts) and answers that sequence. */
export function appendLedger(ctx: WorkspaceContext, e: LedgerEntry): number {
  return appendLedgerRow(ctx, {
    at: e.at,
    kind: e.kind,
    feature: e.feature,
    credits: e.credits,
    reservationId: e.reservationId ?? null,
    idempotencyKey: e.meta?.idempotencyKey ?? null,
    role: e.meta?.role ?? null,
    periodStart: e.periodStart,
    agentId: e.agentId ?? null,
    sources: e.sources === undefined || e.sources === null ? null : JSON.stringify(e.sources),
  });
}

/** Which sources an entry's credits came from or went back to: the pool alone when none is stored. */
function sourcesView(stored: string | null, kind: LedgerKind, credits: number) {
  if (kind === "question") return [];
  const sources: [string, number][] = stored === null ? [["pool", credits]] : JSON.parse(stored);
  return sources.map(([source, n]) => ({ source, credits: n }));
}

export interface LedgerRow {
  id: number;
  at: number;
  kind: LedgerKind;
  feature: AiFeature | null;
  credits: number;
  reservation_id: string | null;
  idempotency_key: string | null;
  role: string | null;
  period_start: number;
  agent_id: string | null;
  sources: string | null;
}

/** The columns a ledger entry is read with (LedgerRow). */
export const LEDGER_COLUMNS = `id, at, kind, feature, credits, reservation_id, idempotency_key, role,
  period_start, agent_id, sources`;

export const entryView = (r: LedgerRow) => ({
  id: r.id,
  at: iso(r.at),
  kind: r.kind,
  feature: r.feature,
  credits: r.credits,
  reservationId: r.reservation_id,
  idempotencyKey: r.idempotency_key,
  role: r.role,
  periodStart: iso(r.period_start),
  agentId: r.agent_id,
  sources: sourcesView(r.sources, r.kind, r.credits),
});

export type LedgerEntryView = ReturnType<typeof entryView>;

// ---- receipts (docs/rules.md#receipts) -----------------------------------------------------

/** Ties an answer to one ledger position: its own entry's, or the last one it was decided on. */
export interface Receipt {
  seq: number;
  at: string;
}

/**
 * The last sequence written: from memory on the hot path (no SQL), else from storage (the
 * highest entry held, or the floor of those archived: memory.ts), never handed out twice.
 */
export const lastSequence = (ctx: WorkspaceContext): number => lastLedgerSeq(ctx);

/** A receipt at the call's instant: `seq` its own entry's, or by default the last written. */
export const receiptAt = (ctx: WorkspaceContext, seq = lastSequence(ctx)): Receipt => ({
  seq,
  at: iso(ctx.now),
});

/** Where a workspace's archived history is read (docs/credits.md#receipts). */
export const archivesPath = (workspaceId: string) => `/v1/workspaces/${workspaceId}/archives`;

/**
 * The entry a receipt names. A sequence the ledger handed out but no longer holds was pruned
 * after its retention, archived first: 410 with where to read it. One never handed out: 404.
 */
export function ledgerEntry(ctx: WorkspaceContext, seq: number): Outcome<LedgerEntryView> {
  const row = ctx.store.one<LedgerRow>(
    `SELECT id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start,
            agent_id, sources
     FROM credit_ledger WHERE id = ?`,
    seq,
  );
  if (row !== undefined) return ok(entryView(row));
  const last = storedLedgerSeq(ctx.store);
  if (seq > last) {
    return fail("not_found", `Ledger entry ${seq} does not exist: the last sequence is ${last}.`);
  }
  const archives = archivesPath(ctx.subscription.workspaceId);
  return fail(
    "ledger_entry_archived",
    `Ledger entry ${seq} passed its retention and was archived; read it from the workspace's archives: GET ${archives}.`,
    { seq, archives },
  );
}

/**
 * The ledger in order, a page after a cursor: the audit trail behind every figure (used per
 * period and per feature are its sums). Kept 62 days raw, then archived (archive/index.ts).
 */
export async function ledgerPage(ctx: WorkspaceContext, after: string | undefined, limit: number) {
  const { store } = ctx;
  const workspaceId = ctx.subscription.workspaceId;
  const cursor = await readCursor(store, "ledger", workspaceId, "credit_ledger", after);
  if (!cursor.ok) return cursor;
  const rows = store.all<LedgerRow>(
    `SELECT id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start,
       agent_id, sources FROM credit_ledger WHERE id > ? ORDER BY id LIMIT ?`,
    cursor.value?.[0] ?? 0,
    limit + 1,
  );
  const page = rows.slice(0, limit);
  return ok({
    entries: page.map(entryView),
    nextCursor: await nextCursor(store, "ledger", workspaceId, cursor.value, page.at(-1)?.id),
    hasMore: rows.length > limit,
  });
}
