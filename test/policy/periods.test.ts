import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addMonths,
  changeAnchor,
  periodAt,
  periodOf,
  renewalsBetween,
  renewalsSince,
  type Schedule,
  scheduleAt,
  scheduleOf,
} from "../../src/policy/periods";
import { DAY_MS } from "../../src/policy/time";

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

// ---- schedules: the period in force and the anchor later ones follow ----------------------
// (docs/rules.md, "Billing periods and anchor changes")

const Z = (day: string) => t(`${day}T00:00:00Z`);
const bounds = (p: { start: number; end: number }) => [iso(p.start), iso(p.end)];
const schedule = (anchor: string, start: string, end: string): Schedule => ({
  anchor: Z(anchor),
  start: Z(start),
  end: Z(end),
});

describe("periodOf: the stored period until its end, then the anchor's months", () => {
  // After a change on Jul 20 to an anchor on the 25th: a short period, then whole months.
  const short = schedule("2026-01-25", "2026-07-20", "2026-07-25");
  it.each([
    ["2026-07-20T00:00:00.000Z", "2026-07-20", "2026-07-25"],
    ["2026-07-24T23:59:59.999Z", "2026-07-20", "2026-07-25"],
    ["2026-07-25T00:00:00.000Z", "2026-07-25", "2026-08-25"],
    ["2027-03-01T00:00:00.000Z", "2027-02-25", "2027-03-25"],
    // A clock that stepped back still answers the period in force, never an older one.
    ["2026-07-19T00:00:00.000Z", "2026-07-20", "2026-07-25"],
  ])("at %s: [%s, %s)", (now, start, end) => {
    expect(bounds(periodOf(short, t(now)))).toEqual([iso(Z(start)), iso(Z(end))]);
  });

  it("is the anchor's month for a first schedule, at any instant from it on", () => {
    const anchor = Z("2026-01-31");
    const first = scheduleAt(anchor, Z("2026-02-10"));
    expect(bounds(first)).toEqual([iso(Z("2026-01-31")), iso(Z("2026-02-28"))]);
    for (const now of ["2026-02-10", "2026-02-28", "2026-03-30", "2027-02-28", "2031-07-01"]) {
      expect(periodOf(first, Z(now))).toEqual(periodAt(anchor, Z(now)));
    }
  });
});

describe("changeAnchor", () => {
  const jul15 = scheduleAt(Z("2026-07-15"), Z("2026-07-20"));
  it.each([
    // current schedule, now, new anchor, kind, [start, end) in force after, ended period
    ["same anchor", jul15, "2026-07-20", "2026-07-15", "kept", ["2026-07-15", "2026-08-15"]],
    ["12 months ahead", jul15, "2026-07-20", "2027-07-15", "kept", ["2026-07-15", "2026-08-15"]],
    ["2 months back", jul15, "2026-07-20", "2026-05-15", "kept", ["2026-07-15", "2026-08-15"]],
    // The end does not move, so nothing does, though the anchor's months differ later.
    [
      "Jan 31 to Feb 28",
      scheduleAt(Z("2026-01-31"), Z("2026-02-10")),
      "2026-02-10",
      "2026-02-28",
      "kept",
      ["2026-01-31", "2026-02-28"],
    ],
    [
      "5 days later",
      jul15,
      "2026-07-20",
      "2026-07-25",
      "restarted",
      ["2026-07-20", "2026-07-25"],
      ["2026-07-15", "2026-07-20"],
    ],
    [
      "5 days earlier",
      jul15,
      "2026-07-20",
      "2026-07-10",
      "restarted",
      ["2026-07-20", "2026-08-10"],
      ["2026-07-15", "2026-07-20"],
    ],
    // Without the rule this anchor gave [Jul 10, Aug 10): a period older than the one in force.
    [
      "in the future",
      jul15,
      "2026-07-20",
      "2026-08-10",
      "restarted",
      ["2026-07-20", "2026-08-10"],
      ["2026-07-15", "2026-07-20"],
    ],
    [
      "years in the future",
      jul15,
      "2026-07-20",
      "2031-03-05",
      "restarted",
      ["2026-07-20", "2026-08-05"],
      ["2026-07-15", "2026-07-20"],
    ],
    [
      "back to where it was, after a change",
      schedule("2026-07-25", "2026-07-20", "2026-07-25"),
      "2026-07-22",
      "2026-07-15",
      "restarted",
      ["2026-07-22", "2026-08-15"],
      ["2026-07-20", "2026-07-22"],
    ],
    // The period in force began this instant: it ends empty, the new one shares its start.
    [
      "a second change at the same instant",
      schedule("2026-07-25", "2026-07-20", "2026-07-25"),
      "2026-07-20",
      "2026-07-15",
      "restarted",
      ["2026-07-20", "2026-08-15"],
      ["2026-07-20", "2026-07-20"],
    ],
    [
      "on the instant of a renewal",
      jul15,
      "2026-07-15",
      "2026-07-01",
      "restarted",
      ["2026-07-15", "2026-08-01"],
      ["2026-07-15", "2026-07-15"],
    ],
    // A clock that stepped back: the change counts at the start of the period in force.
    [
      "before the period in force began",
      schedule("2026-07-25", "2026-07-20", "2026-07-25"),
      "2026-07-18",
      "2026-07-15",
      "restarted",
      ["2026-07-20", "2026-08-15"],
      ["2026-07-20", "2026-07-20"],
    ],
  ] as const)("%s", (_, current, now, anchor, kind, inForce, ended?) => {
    const change = changeAnchor(current, Z(anchor), Z(now));
    expect(change.kind).toBe(kind);
    expect(change.schedule.anchor).toBe(Z(anchor));
    expect(bounds(change.schedule)).toEqual(inForce.map((d) => iso(Z(d))));
    if (change.kind === "restarted") {
      expect(bounds(change.ended)).toEqual((ended ?? []).map((d) => iso(Z(d))));
      expect(change.sharesStart).toBe(change.ended.start === change.schedule.start);
    }
    // Never a period before the one it replaces.
    expect(change.schedule.start).toBeGreaterThanOrEqual(periodOf(current, Z(now)).start);
  });

  it("then follows the new anchor from the end of the period in force", () => {
    const { schedule: next } = changeAnchor(
      scheduleAt(Z("2026-01-31"), Z("2026-02-10")),
      Z("2026-02-28"),
      Z("2026-02-10"),
    );
    expect(bounds(periodOf(next, Z("2026-03-30")))).toEqual([
      iso(Z("2026-03-28")),
      iso(Z("2026-04-28")),
    ]);
  });
});

describe("renewalsSince", () => {
  const short = schedule("2026-01-31", "2026-07-20", "2026-07-31");
  const listed = (s: Schedule, now: string, max = 12) =>
    renewalsSince(s, t(now), max).map((r) => [...bounds(r.ended), ...bounds(r.started)]);

  it.each([
    ["2026-07-30T23:59:59.999Z", 12, []],
    ["2026-07-31T00:00:00.000Z", 12, [["2026-07-20", "2026-07-31", "2026-07-31", "2026-08-31"]]],
    [
      "2026-10-10T00:00:00.000Z",
      12,
      [
        ["2026-07-20", "2026-07-31", "2026-07-31", "2026-08-31"],
        ["2026-07-31", "2026-08-31", "2026-08-31", "2026-09-30"],
        ["2026-08-31", "2026-09-30", "2026-09-30", "2026-10-31"],
      ],
    ],
    // Capped: the most recent ones, each closing the anchor's month before it.
    [
      "2026-10-10T00:00:00.000Z",
      2,
      [
        ["2026-07-31", "2026-08-31", "2026-08-31", "2026-09-30"],
        ["2026-08-31", "2026-09-30", "2026-09-30", "2026-10-31"],
      ],
    ],
  ] as const)("at %s (at most %i)", (now, max, expected) => {
    expect(listed(short, now, max)).toEqual(expected.map((row) => row.map((d) => iso(Z(d)))));
  });

  it("skips the months of a long idle span instead of walking them", () => {
    const s = schedule("2026-01-31", "2026-07-20", "2026-07-31");
    const now = t("9999-12-31T23:59:59.999Z");
    const last = renewalsSince(s, now, 12);
    expect(last).toHaveLength(12);
    expect(bounds(last[11]?.started ?? { start: 0, end: 0 })).toEqual(
      bounds(periodAt(s.anchor, now)),
    );
    // Contiguous: each closes the period the one before it started.
    for (let i = 1; i < last.length; i++) {
      expect(last[i]?.ended).toEqual(last[i - 1]?.started);
    }
  });
});

describe("schedules, property-based", () => {
  const START = t("2000-01-01T00:00:00Z");
  const END = t("2100-01-01T00:00:00Z");
  const instant = fc.integer({ min: START, max: END });
  const step = fc.oneof(
    fc.record({ advance: fc.integer({ min: 0, max: 120 * DAY_MS }) }),
    fc.record({ anchor: instant }),
    fc.record({ wholeMonths: fc.integer({ min: -1_200, max: 1_200 }) }),
  );

  it("a run of clock moves and anchor changes tiles time, never goes back, and is exact lazily", () => {
    fc.assert(
      fc.property(instant, instant, fc.array(step, { maxLength: 30 }), (anchor0, now0, steps) => {
        let now = now0;
        let s = scheduleAt(anchor0, now);
        // The periods as a settle after every step would see them: contiguous, in order.
        let inForce = periodOf(s, now);
        for (const st of steps) {
          if ("advance" in st) {
            const before = s;
            now += st.advance;
            const renewals = renewalsSince(s, now, 10_000);
            for (const r of renewals) {
              expect(r.ended.start).toBe(inForce.start);
              expect(r.ended.end).toBe(r.started.start);
              inForce = { ...inForce, start: r.started.start, end: r.started.end };
            }
            s = scheduleOf(s, now);
            // Settling changes nothing a later read would see (exact without a cron run).
            const later = now + 400 * DAY_MS;
            expect(periodOf(s, later)).toEqual(periodOf(before, later));
          } else {
            const anchor = "anchor" in st ? st.anchor : addMonths(s.anchor, st.wholeMonths);
            const change = changeAnchor(s, anchor, now);
            const current = periodOf(s, now);
            if ("wholeMonths" in st && addMonths(anchor, -st.wholeMonths) === s.anchor) {
              // A whole number of months away (no clamping on the way) moves nothing.
              expect(change.kind).toBe("kept");
            }
            if (change.kind === "restarted") {
              expect(change.ended).toEqual({ start: current.start, end: now });
              expect(change.schedule.start).toBe(now);
              expect(change.sharesStart).toBe(current.start === now);
            } else {
              expect(change.schedule.start).toBe(current.start);
            }
            s = change.schedule;
            expect(s.start).toBeGreaterThanOrEqual(inForce.start);
          }
          inForce = periodOf(s, now);
          expect(inForce.start).toBeLessThanOrEqual(now);
          expect(inForce.end).toBeGreaterThan(now);
          // The end of the period in force is always one of the anchor's occurrences.
          expect(periodAt(s.anchor, inForce.end).start).toBe(inForce.end);
        }
      }),
      { numRuns: 300 },
    );
  });
});
