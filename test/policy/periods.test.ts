import { describe, expect, it } from "vitest";
import { addMonths, periodAt, renewalsBetween } from "../../src/policy/periods";

const t = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();

describe("addMonths: same day and time, clamped to the month's end, always from the anchor", () => {
  it.each([
    // anchor, months, expected
    ["2026-01-31T09:30:00.000Z", 1, "2026-02-28T09:30:00.000Z"], // common February
    ["2026-01-31T09:30:00.000Z", 2, "2026-03-31T09:30:00.000Z"], // not chained from Feb 28
    ["2026-01-31T09:30:00.000Z", 3, "2026-04-30T09:30:00.000Z"],
    ["2028-01-31T00:00:00.000Z", 1, "2028-02-29T00:00:00.000Z"], // leap February
    ["2028-01-30T00:00:00.000Z", 1, "2028-02-29T00:00:00.000Z"],
    ["2028-01-29T00:00:00.000Z", 1, "2028-02-29T00:00:00.000Z"],
    ["2026-01-29T00:00:00.000Z", 1, "2026-02-28T00:00:00.000Z"],
    ["2026-01-30T00:00:00.000Z", 1, "2026-02-28T00:00:00.000Z"],
    ["2026-01-30T00:00:00.000Z", 2, "2026-03-30T00:00:00.000Z"],
    ["2026-01-29T00:00:00.000Z", 2, "2026-03-29T00:00:00.000Z"],
    ["2028-02-29T12:00:00.000Z", 12, "2029-02-28T12:00:00.000Z"], // leap day, next year
    ["2028-02-29T12:00:00.000Z", 48, "2032-02-29T12:00:00.000Z"], // leap day, next leap year
    ["2028-02-29T12:00:00.000Z", 1, "2028-03-29T12:00:00.000Z"],
    ["2026-08-31T23:59:59.999Z", 1, "2026-09-30T23:59:59.999Z"],
    ["2026-12-31T00:00:00.000Z", 2, "2027-02-28T00:00:00.000Z"], // across a year end
    ["2026-07-15T00:00:00.000Z", 0, "2026-07-15T00:00:00.000Z"],
    ["2026-03-31T00:00:00.000Z", -1, "2026-02-28T00:00:00.000Z"], // backwards too
    ["2026-01-31T00:00:00.000Z", -2, "2025-11-30T00:00:00.000Z"],
  ] as const)("%s + %i months = %s", (anchor, months, expected) => {
    expect(iso(addMonths(t(anchor), months))).toBe(expected);
  });
});

describe("periodAt", () => {
  it.each([
    // anchor, now, expected start, expected end, index
    [
      "2026-07-15T00:00:00Z",
      "2026-07-15T00:00:00Z",
      "2026-07-15T00:00:00.000Z",
      "2026-08-15T00:00:00.000Z",
      0,
    ],
    [
      "2026-07-15T00:00:00Z",
      "2026-08-14T23:59:59.999Z",
      "2026-07-15T00:00:00.000Z",
      "2026-08-15T00:00:00.000Z",
      0,
    ],
    [
      "2026-07-15T00:00:00Z",
      "2026-08-15T00:00:00Z",
      "2026-08-15T00:00:00.000Z",
      "2026-09-15T00:00:00.000Z",
      1,
    ],
    // Anchor on the 31st: February is short, March is back on the 31st.
    [
      "2026-01-31T00:00:00Z",
      "2026-02-27T12:00:00Z",
      "2026-01-31T00:00:00.000Z",
      "2026-02-28T00:00:00.000Z",
      0,
    ],
    [
      "2026-01-31T00:00:00Z",
      "2026-02-28T00:00:00Z",
      "2026-02-28T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      1,
    ],
    [
      "2026-01-31T00:00:00Z",
      "2026-03-30T23:59:59.999Z",
      "2026-02-28T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      1,
    ],
    [
      "2026-01-31T00:00:00Z",
      "2026-04-30T00:00:00Z",
      "2026-04-30T00:00:00.000Z",
      "2026-05-31T00:00:00.000Z",
      3,
    ],
    // Leap year: February 29 exists.
    [
      "2028-01-31T00:00:00Z",
      "2028-02-29T00:00:00Z",
      "2028-02-29T00:00:00.000Z",
      "2028-03-31T00:00:00.000Z",
      1,
    ],
    [
      "2028-01-30T00:00:00Z",
      "2028-02-28T23:00:00Z",
      "2028-01-30T00:00:00.000Z",
      "2028-02-29T00:00:00.000Z",
      0,
    ],
    [
      "2026-01-29T00:00:00Z",
      "2026-03-01T00:00:00Z",
      "2026-02-28T00:00:00.000Z",
      "2026-03-29T00:00:00.000Z",
      1,
    ],
    [
      "2027-12-29T00:00:00Z",
      "2028-02-29T00:00:00Z",
      "2028-02-29T00:00:00.000Z",
      "2028-03-29T00:00:00.000Z",
      2,
    ],
    // The time of day of the anchor matters, not only the day.
    [
      "2026-07-15T18:00:00Z",
      "2026-08-15T17:59:59Z",
      "2026-07-15T18:00:00.000Z",
      "2026-08-15T18:00:00.000Z",
      0,
    ],
    // Before the anchor, periods extend backwards by the same rule (negative index).
    [
      "2026-07-15T00:00:00Z",
      "2026-07-01T00:00:00Z",
      "2026-06-15T00:00:00.000Z",
      "2026-07-15T00:00:00.000Z",
      -1,
    ],
    [
      "2026-03-31T00:00:00Z",
      "2026-03-01T00:00:00Z",
      "2026-02-28T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      -1,
    ],
    [
      "2026-07-15T00:00:00Z",
      "2025-07-15T00:00:00Z",
      "2025-07-15T00:00:00.000Z",
      "2025-08-15T00:00:00.000Z",
      -12,
    ],
  ] as const)("anchor %s, now %s → [%s, %s) #%i", (anchor, now, start, end, index) => {
    const p = periodAt(t(anchor), t(now));
    expect({ start: iso(p.start), end: iso(p.end), index: p.index }).toEqual({ start, end, index });
  });

  it("tiles time: every period ends where the next starts, for three years of 31st anchors", () => {
    const anchor = t("2026-01-31T06:00:00Z");
    let previous = periodAt(anchor, anchor);
    for (let k = 1; k < 36; k++) {
      const next = periodAt(anchor, previous.end);
      expect(next.start).toBe(previous.end);
      expect(next.index).toBe(k);
      expect(periodAt(anchor, next.start - 1).start).toBe(previous.start);
      // Never drifts: a month with a 31st starts on it.
      const day = new Date(next.start).getUTCDate();
      const monthLength = new Date(
        Date.UTC(new Date(next.start).getUTCFullYear(), new Date(next.start).getUTCMonth() + 1, 0),
      ).getUTCDate();
      expect(day).toBe(Math.min(31, monthLength));
      previous = next;
    }
  });
});

describe("renewalsBetween", () => {
  const anchor = t("2026-01-31T00:00:00Z");

  it("lists the period starts after `after` up to now, oldest first", () => {
    const starts = renewalsBetween(
      anchor,
      t("2026-01-31T00:00:00Z"),
      t("2026-04-30T00:00:00Z"),
      12,
    );
    expect(starts.map(iso)).toEqual([
      "2026-02-28T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      "2026-04-30T00:00:00.000Z",
    ]);
  });

  it("is empty within one period and keeps only the most recent when capped", () => {
    expect(renewalsBetween(anchor, anchor, t("2026-02-27T00:00:00Z"), 12)).toEqual([]);
    const capped = renewalsBetween(anchor, anchor, t("2027-01-31T00:00:00Z"), 2);
    expect(capped.map(iso)).toEqual(["2026-12-31T00:00:00.000Z", "2027-01-31T00:00:00.000Z"]);
  });
});
