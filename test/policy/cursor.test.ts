import { describe, expect, it } from "vitest";
import {
  CURSOR_TAG_BYTES,
  cursorPayload,
  type Feed,
  formatCursor,
  MAX_CURSOR_LENGTH,
  NOT_A_CURSOR,
  POSITION_ARITY,
  parseCursor,
  START_CURSOR,
} from "../../src/policy/cursor";

const FEEDS = Object.keys(POSITION_ARITY) as Feed[];
const TAG = Uint8Array.from({ length: CURSOR_TAG_BYTES }, (_, i) => 255 - i);
const b64 = (text: string) =>
  btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const tagPart = formatCursor("", TAG).slice(1);

describe("page cursor text", () => {
  it.each(FEEDS)("round-trips on %s, bound to the feed and the workspace", (feed) => {
    const position = POSITION_ARITY[feed] === 2 ? [-86_400_000, 42] : [9_007_199_254_740_991];
    const ws = "W".repeat(64);
    const payload = cursorPayload(feed, ws, position);
    const cursor = formatCursor(payload, TAG);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(parseCursor(cursor, feed, ws)).toEqual({ ok: true, position, payload, tag: TAG });
    expect(parseCursor(cursor, feed, "other")).toEqual({
      ok: false,
      why: "is a cursor of another workspace",
    });
    for (const other of FEEDS.filter((f) => f !== feed)) {
      const read = parseCursor(cursor, other, ws);
      expect(read.ok).toBe(false);
      if (!read.ok) expect(read.why).toMatch(/^is a cursor of the .*, not of the /);
    }
  });

  it("reads no cursor, and 0, as the start", () => {
    expect(parseCursor(undefined, "events", "acme")).toEqual({ ok: true, position: null });
    expect(parseCursor(START_CURSOR, "ledger", "acme")).toEqual({ ok: true, position: null });
  });

  it("refuses any text that is not a cursor's", () => {
    const good = formatCursor(cursorPayload("events", "acme", [7]), TAG);
    expect(parseCursor(good, "events", "acme").ok).toBe(true);
    for (const bad of [
      "7",
      "999999999999",
      "",
      good.split(".")[0] ?? "", // no tag
      `${good}.x`,
      `${good}A`, // a tag one character longer
      `${good.slice(0, -1)}`, // a tag one character shorter
      `${b64("1.events.acme.7")}=.${tagPart}`, // padding
      `${b64("2.events.acme.7")}.${tagPart}`, // another version
      `${b64("1.events.acme.07")}.${tagPart}`, // not the canonical number
      `${b64("1.events.acme.7.8")}.${tagPart}`, // too many numbers
      `${b64("1.events.acme.1e3")}.${tagPart}`,
      `${b64("1.events.acme.99999999999999999")}.${tagPart}`, // beyond exact integers
      `${b64("1.nope.acme.7")}.${tagPart}`,
      `${b64("1.__proto__.acme.7")}.${tagPart}`,
      `${b64("1.events.ac me.7")}.${tagPart}`,
      `${b64(`1.events.${"a".repeat(65)}.7`)}.${tagPart}`,
      "A".repeat(MAX_CURSOR_LENGTH + 1),
    ]) {
      expect(parseCursor(bad, "events", "acme"), bad).toEqual({ ok: false, why: NOT_A_CURSOR });
    }
  });
});
