import type { AiFeature } from "./catalogue";

/**
 * The credit ledger as people browse it (docs/rules.md, "The ledger view"): newest or oldest
 * first, filtered by feature, kind or agent, a page at a time. The rules only: which query a
 * cursor belongs to, and how much of the ledger one page may read.
 */

export const LEDGER_KINDS = ["debit", "hold", "commit", "release", "expire", "question"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const LEDGER_ORDERS = ["oldest", "newest"] as const;
export type LedgerOrder = (typeof LEDGER_ORDERS)[number];

/** A page of the ledger as asked: `after` a cursor, or `from` a sequence on the first page. */
export interface LedgerQuery {
  after?: string;
  limit: number;
  order?: LedgerOrder;
  feature?: AiFeature;
  kind?: LedgerKind;
  agentId?: string;
  from?: number;
}

/**
 * Sequences one page reads at most: a filter that matches little still answers in bounded time,
 * with fewer entries (even none) and `hasMore`, and the cursor goes on from where it stopped.
 */
export const LEDGER_SCAN_ROWS = 10_000;

/**
 * The ledger's own feed, oldest first and unfiltered: its cursors stay those of every poller
 * (docs/api.md, "Cursors and pages"), also when its first page starts at a sequence (`from`);
 * any other order or filter is the view's.
 */
export const isPlainFeed = (q: LedgerQuery): boolean =>
  (q.order ?? "oldest") === "oldest" &&
  q.feature === undefined &&
  q.kind === undefined &&
  q.agentId === undefined;

/** The order and filters a cursor was issued for, as one text; `from` and `limit` are not. */
const canonical = (q: LedgerQuery): string =>
  JSON.stringify([q.order ?? "oldest", q.feature ?? null, q.kind ?? null, q.agentId ?? null]);

/**
 * A 53-bit tag of the query's order and filters (cyrb53), carried in the view's cursors, so a
 * cursor sent with other filters is refused instead of answering a page of another listing.
 * The cursor is signed, so the tag needs no secrecy, only to tell queries apart.
 */
export function ledgerQueryTag(q: LedgerQuery): number {
  const text = canonical(q);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The window of sequences a page reads, exclusive of `bound` (the cursor's position): below it
 * newest first, above it oldest first, never into what was archived (`archivedThrough`) nor past
 * the last sequence written, and at most LEDGER_SCAN_ROWS sequences.
 */
export function scanWindow(
  order: LedgerOrder,
  bound: number,
  archivedThrough: number,
  last: number,
): { low: number; high: number } {
  if (order === "newest") {
    const high = Math.min(bound - 1, last);
    return { low: Math.max(high - LEDGER_SCAN_ROWS + 1, archivedThrough + 1), high };
  }
  const low = Math.max(bound + 1, archivedThrough + 1);
  return { low, high: Math.min(low + LEDGER_SCAN_ROWS - 1, last) };
}
