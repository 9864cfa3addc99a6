import { describe, expect, it } from "vitest";
import {
  decodeCursor,
  encodeCursor,
  type Feed,
  MAX_CURSOR_LENGTH,
  nextCursor,
  POSITION_ARITY,
  START_CURSOR,
} from "../../src/policy/cursor";

const FEEDS = Object.keys(POSITION_ARITY) as Feed[];

describe("page cursors", () => {
  it.each(FEEDS)("round-trip on %s, bound to the feed and the workspace", (feed) => {
    const position = POSITION_ARITY[feed] === 2 ? [-86_400_000, 42] : [9_007_199_254_740_991];
    const ws = "W".repeat(64);
    const cursor = encodeCursor(feed, ws, position);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, feed, ws)).toEqual({ ok: true, position });
    expect(decodeCursor(cursor, feed, "other")).toEqual({
      ok: false,
      why: "is a cursor of another workspace",
    });
    for (const other of FEEDS.filter((f) => f !== feed)) {
      const read = decodeCursor(cursor, other, ws);
      expect(read.ok).toBe(false);
    }
  });

  it("reads no cursor, and 0, as the start", () => {
    expect(decodeCursor(undefined, "events", "acme")).toEqual({ ok: true, position: null });
    expect(decodeCursor(START_CURSOR, "ledger", "acme")).toEqual({ ok: true, position: null });
  });

  it("refuses anything it did not encode", () => {
    const good = encodeCursor("events", "acme", [7]);
    const b64 = (text: string) =>
      btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (const bad of [
      "7",
      "999999999999",
      "",
      `${good}=`,
      `${good}A`,
      good.replace(/.$/, (c) => (c === "x" ? "y" : "x")),
      b64("2.events.acme.7"), // another version
      b64("1.events.acme.07"), // not the canonical number
      b64("1.events.acme.7.8"), // too many numbers
      b64("1.events.acme.1e3"),
      b64("1.events.acme.99999999999999999"), // beyond exact integers
      b64("1.nope.acme.7"),
      b64("1.events.ac me.7"),
      b64(`1.events.${"a".repeat(65)}.7`),
      "A".repeat(MAX_CURSOR_LENGTH + 1),
    ]) {
      const read = decodeCursor(bad, "events", "acme");
      expect(read.ok, bad).toBe(false);
    }
  });

  it("moves on to the last item read, or stays where it was", () => {
    expect(nextCursor("events", "acme", null, undefined)).toBe(START_CURSOR);
    expect(nextCursor("events", "acme", [5], undefined)).toBe(encodeCursor("events", "acme", [5]));
    expect(nextCursor("events", "acme", [5], 9)).toBe(encodeCursor("events", "acme", [9]));
    expect(nextCursor("ledger", "acme", null, 3)).toBe(encodeCursor("ledger", "acme", [3]));
  });
});
