import { fail, type Outcome, ok } from "../../outcome";
import { START_CURSOR } from "../../policy/cursor";
import { isPlainFeed, type LedgerQuery, ledgerQueryTag, scanWindow } from "../../policy/ledgerView";
import type { SqlParam, Store } from "../../storage";
import type { WorkspaceContext } from "../context";
import { issueCursor, readCursor } from "../cursors";
import {
  archivesPath,
  entryView,
  LEDGER_COLUMNS,
  type LedgerEntryView,
  type LedgerRow,
  lastSequence,
  ledgerPage,
} from "./ledger";

/**
 * The ledger view (docs/rules.md, "The ledger view"): `GET credits/ledger` read newest first or
 * filtered by feature, kind or agent, for the billing page and support. Its cursors are the
 * `ledger-view` feed's, bound to the workspace and to the query's order and filters; a page
 * reads at most LEDGER_SCAN_ROWS sequences, and says which sequences left for the archive.
 */

/** The sequences no longer in the object (1 through `throughSeq`) and where to read them. */
export interface ArchivedRange {
  throughSeq: number;
  archives: string;
}

export interface LedgerListing {
  entries: LedgerEntryView[];
  nextCursor: string;
  hasMore: boolean;
  archived: ArchivedRange | null;
}

/**
 * The last sequence archived and deleted: the archive takes the oldest entries first, so it is
 * the one before the oldest held, or every sequence written when none is held.
 */
function archivedThrough(store: Store, last: number): number {
  const oldest = store.one<{ id: number | null }>("SELECT MIN(id) AS id FROM credit_ledger")?.id;
  return oldest === null || oldest === undefined ? last : oldest - 1;
}

const refuse = (path: string, why: string) =>
  fail<never>("invalid_request", `Invalid request: ${path}: ${why}`, [{ path, message: why }]);

/** The WHERE clause of the query's filters, and their parameters. */
function filters(q: LedgerQuery): { sql: string; params: SqlParam[] } {
  const clauses: string[] = [];
  const params: SqlParam[] = [];
  for (const [column, value] of [
    ["feature", q.feature],
    ["kind", q.kind],
    ["agent_id", q.agentId],
  ] as const) {
    if (value === undefined) continue;
    clauses.push(`AND ${column} = ?`);
    params.push(value);
  }
  return { sql: clauses.join(" "), params };
}

/** A page of the ledger as asked: its own feed when plain, else the view. */
export async function ledgerListing(
  ctx: WorkspaceContext,
  q: LedgerQuery,
): Promise<Outcome<LedgerListing>> {
  const last = lastSequence(ctx);
  const through = archivedThrough(ctx.store, last);
  const archived =
    through > 0
      ? { throughSeq: through, archives: archivesPath(ctx.subscription.workspaceId) }
      : null;
  if (q.from !== undefined && q.after !== undefined && q.after !== START_CURSOR) {
    return refuse(
      "from",
      "starts the first page only: pass the previous page's nextCursor as after, without from",
    );
  }
  const workspaceId = ctx.subscription.workspaceId;
  if (isPlainFeed(q)) {
    // Started at a sequence, the feed reads on from the one before it, with its own cursors.
    const before = q.from === undefined ? 0 : Math.min(q.from - 1, last);
    const after =
      before > 0 ? await issueCursor(ctx.store, "ledger", workspaceId, [before]) : q.after;
    const page = await ledgerPage(ctx, after, q.limit);
    return page.ok ? ok({ ...page.value, archived }) : page;
  }
  const order = q.order ?? "oldest";
  const tag = ledgerQueryTag(q);
  // The position the page reads from, exclusive: below it newest first, above it oldest first.
  let bound: number;
  if (q.from !== undefined) {
    bound = order === "newest" ? Math.min(q.from, last) + 1 : q.from - 1;
  } else {
    const cursor = await readCursor(
      ctx.store,
      "ledger-view",
      workspaceId,
      "credit_ledger",
      q.after,
    );
    if (!cursor.ok) return cursor;
    if (cursor.value === null) bound = order === "newest" ? last + 1 : 0;
    else if (cursor.value[0] !== tag) {
      return refuse(
        "after",
        "is a cursor of the credit ledger read with another order or filters: keep order, feature, kind and agentId as they were for its first page",
      );
    } else bound = cursor.value[1] ?? 0;
  }
  const { low, high } = scanWindow(order, bound, through, last);
  const where = filters(q);
  const rows =
    low > high
      ? []
      : ctx.store.all<LedgerRow>(
          `SELECT ${LEDGER_COLUMNS} FROM credit_ledger WHERE id BETWEEN ? AND ? ${where.sql}
           ORDER BY id ${order === "newest" ? "DESC" : "ASC"} LIMIT ?`,
          low,
          high,
          ...where.params,
          q.limit + 1,
        );
  const page = rows.slice(0, q.limit);
  const full = rows.length > q.limit;
  // Where the next page reads from: after the last entry answered, or past the whole window.
  let position: number;
  let hasMore: boolean;
  if (full) {
    position = page.at(-1)?.id ?? bound;
    hasMore = true;
  } else if (order === "newest") {
    position = low > high ? Math.min(bound, through + 1) : low;
    hasMore = low > high ? false : low > through + 1;
  } else {
    position = low > high ? Math.max(bound, through) : high;
    hasMore = low > high ? false : high < last;
  }
  return ok({
    entries: page.map(entryView),
    nextCursor: await issueCursor(ctx.store, "ledger-view", workspaceId, [
      tag,
      Math.max(0, Math.min(position, last)),
    ]),
    hasMore,
    archived,
  });
}
