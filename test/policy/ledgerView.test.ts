import { describe, expect, it } from "vitest";
import {
  isPlainFeed,
  LEDGER_SCAN_ROWS,
  type LedgerQuery,
  ledgerQueryTag,
  scanWindow,
} from "../../src/policy/ledgerView";

const N = LEDGER_SCAN_ROWS;

describe("the ledger view's rules", () => {
  it.each([
    // order, bound, archived through, last → window
    ["newest", 11, 0, 10, { low: 1, high: 10 }],
    ["newest", 5, 0, 10, { low: 1, high: 4 }],
    ["newest", 11, 6, 10, { low: 7, high: 10 }],
    ["newest", 3 * N + 1, 0, 3 * N, { low: 2 * N + 1, high: 3 * N }],
    ["newest", 99, 0, 10, { low: 1, high: 10 }],
    ["newest", 1, 0, 10, { low: 1, high: 0 }],
    ["oldest", 0, 0, 10, { low: 1, high: 10 }],
    ["oldest", 4, 0, 10, { low: 5, high: 10 }],
    ["oldest", 0, 6, 10, { low: 7, high: 10 }],
    ["oldest", 0, 0, 3 * N, { low: 1, high: N }],
    ["oldest", 10, 0, 10, { low: 11, high: 10 }],
  ] as const)(
    "%s from %i (archived through %i, last %i) reads %o",
    (order, bound, archived, last, window) => {
      const got = scanWindow(order, bound, archived, last);
      expect(got).toEqual(window);
      expect(Math.max(0, got.high - got.low + 1)).toBeLessThanOrEqual(N);
    },
  );

  it("tags a query by its order and filters only, within a cursor's safe integer", () => {
    const base: LedgerQuery = { limit: 100, order: "newest", feature: "copilot" };
    const tag = ledgerQueryTag(base);
    expect(Number.isSafeInteger(tag) && tag >= 0).toBe(true);
    // Paging changes neither: the limit, where the first page started, the cursor.
    expect(ledgerQueryTag({ ...base, limit: 5, from: 42, after: "x" })).toBe(tag);
    const others: LedgerQuery[] = [
      { ...base, order: "oldest" },
      { ...base, feature: "ai_agent" },
      { ...base, feature: undefined },
      { ...base, kind: "debit" },
      { ...base, agentId: "bot" },
      { ...base, agentId: "copilot", feature: undefined },
    ];
    const tags = others.map(ledgerQueryTag);
    expect(new Set([tag, ...tags]).size).toBe(others.length + 1);
  });

  it("leaves the unfiltered oldest-first feed to its own cursors", () => {
    expect(isPlainFeed({ limit: 1 })).toBe(true);
    expect(isPlainFeed({ limit: 1, order: "oldest", after: "0" })).toBe(true);
    // Started at a sequence, it is still the feed: its next pages are the feed's.
    expect(isPlainFeed({ limit: 1, from: 3 })).toBe(true);
    for (const q of [
      { order: "newest" },
      { feature: "copilot" },
      { kind: "hold" },
      { agentId: "bot" },
      { order: "newest", from: 3 },
    ] as const) {
      expect(isPlainFeed({ limit: 1, ...q })).toBe(false);
    }
  });
});
