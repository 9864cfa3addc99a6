import { describe, expect, it } from "vitest";
import { grouped, humanInstant } from "../../src/policy/format";
import { iso } from "../../src/policy/time";

describe("the messages' formats", () => {
  it.each([
    [0, "0"],
    [7, "7"],
    [999, "999"],
    [1000, "1,000"],
    [-999, "-999"],
    [-1500, "-1,500"],
    [12_500, "12,500"],
    [10_000_000, "10,000,000"],
  ])("groups %d as %s", (n, text) => {
    expect(grouped(n)).toBe(text);
  });

  it("writes an instant for people, in UTC to the minute", () => {
    expect(humanInstant(Date.parse("2026-08-15T00:00:59.999Z"))).toBe("2026-08-15 00:00 UTC");
  });

  // iso computes the ISO form with integer arithmetic for 1970-9999 (src/policy/time.ts): the
  // edges of its calendar, and the Date's own answer outside them.
  it.each([
    ["the epoch", 0],
    ["the last millisecond of a day", 86_399_999],
    ["a leap day of a 400-year century", Date.parse("2000-02-29T12:34:56.789Z")],
    ["March 1st of a 100-year non-leap century", Date.parse("2100-03-01T00:00:00.000Z")],
    ["New Year's Eve of a leap year", Date.parse("2024-12-31T23:59:59.999Z")],
    ["the last instant it computes", 253_402_300_799_999],
    ["the first instant the Date writes (year 10000)", 253_402_300_800_000],
    ["before the epoch", -1],
    ["a fraction of a millisecond", 1_700_000_000_000.5],
  ])("formats %s as toISOString does", (_, at) => {
    expect(iso(at)).toBe(new Date(at).toISOString());
  });

  it("formats every instant as toISOString does, over four centuries of days", () => {
    // A step of a day less a prime number of milliseconds walks every time of day and month.
    for (let at = 0; at < 146_097 * 86_400_000 * 1.2; at += 86_400_000 * 7 - 7_919) {
      expect(iso(at)).toBe(new Date(at).toISOString());
    }
    expect(() => iso(Number.NaN)).toThrow(RangeError);
  });

  it.each([
    [1_000_000_000_000, "1,000,000,000,000"],
    [-10_000, "-10,000"],
    [Number.MAX_SAFE_INTEGER, "9,007,199,254,740,991"],
    [1234.5, "1,234.5"],
  ])("groups %d as the pattern did before the loop (%s)", (n, text) => {
    expect(grouped(n)).toBe(text);
  });
});
