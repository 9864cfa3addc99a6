import { ok } from "../../outcome";
import type { AiFeature } from "../../policy/catalogue";
import { type Instant, iso } from "../../policy/time";
import type { CallMeta, WorkspaceContext } from "../context";
import { nextCursor, readCursor } from "../cursors";
import { appendLedgerRow } from "../memory";

// The credit ledger: append-only, one row per movement of credits or Copilot question.

type LedgerKind = "debit" | "hold" | "commit" | "release" | "expire" | "question";

interface LedgerEntry {
  at: Instant;
  kind: LedgerKind;
  feature: AiFeature | null;
  credits: number;
  reservationId?: string;
  periodStart: Instant;
  meta?: CallMeta;
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
  });
}

interface LedgerRow {
  id: number;
  at: number;
  kind: LedgerKind;
  feature: AiFeature | null;
  credits: number;
  reservation_id: string | null;
  idempotency_key: string | null;
  role: string | null;
  period_start: number;
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
    `SELECT id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start
     FROM credit_ledger WHERE id > ? ORDER BY id LIMIT ?`,
    cursor.value?.[0] ?? 0,
    limit + 1,
  );
  const page = rows.slice(0, limit);
  return ok({
    entries: page.map((r) => ({
      id: r.id,
      at: iso(r.at),
      kind: r.kind,
      feature: r.feature,
      credits: r.credits,
      reservationId: r.reservation_id,
      idempotencyKey: r.idempotency_key,
      role: r.role,
      periodStart: iso(r.period_start),
    })),
    nextCursor: await nextCursor(store, "ledger", workspaceId, cursor.value, page.at(-1)?.id),
    hasMore: rows.length > limit,
  });
}
