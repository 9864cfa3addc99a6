import { ok } from "../../outcome";
import type { AiFeature } from "../../policy/catalogue";
import { type Instant, iso } from "../../policy/time";
import type { Store } from "../../storage";
import type { CallMeta, WorkspaceContext } from "../context";
import { nextCursor, readCursor } from "../cursors";

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
  /** The agent the movement names (docs/rules.md, "Budgets inside the pool"). */
  agentId?: string | null;
  /** Which sources paid, held or got the credits back; null or absent: the pool alone. */
  sources?: [string, number][] | null;
}

export function appendLedger(store: Store, e: LedgerEntry): void {
  store.run(
    `INSERT INTO credit_ledger (at, kind, feature, credits, reservation_id, idempotency_key, role, period_start, agent_id, sources)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    e.at,
    e.kind,
    e.feature,
    e.credits,
    e.reservationId ?? null,
    e.meta?.idempotencyKey ?? null,
    e.meta?.role ?? null,
    e.periodStart,
    e.agentId ?? null,
    e.sources === undefined || e.sources === null ? null : JSON.stringify(e.sources),
  );
}

/** Which sources an entry's credits came from or went back to: the pool alone when none is stored. */
function sourcesView(stored: string | null, kind: LedgerKind, credits: number) {
  if (kind === "question") return [];
  const sources: [string, number][] = stored === null ? [["pool", credits]] : JSON.parse(stored);
  return sources.map(([source, n]) => ({ source, credits: n }));
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
  agent_id: string | null;
  sources: string | null;
}

/**
 * The ledger in order, a page after a cursor: the audit trail behind every figure (used per
 * period and per feature are its sums). Kept 400 days, like the rest of the credit history.
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
      agentId: r.agent_id,
      sources: sourcesView(r.sources, r.kind, r.credits),
    })),
    nextCursor: await nextCursor(store, "ledger", workspaceId, cursor.value, page.at(-1)?.id),
    hasMore: rows.length > limit,
  });
}
