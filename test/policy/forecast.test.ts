import { describe, expect, it } from "vitest";
import { forecast } from "../../src/policy/forecast";
import { DAY_MS } from "../../src/policy/time";

const START = Date.parse("2026-07-15T00:00:00Z");
const period = { start: START, end: Date.parse("2026-08-15T00:00:00Z") };
/** Daily totals from the period start: `credits[d]` on day d. */
const history = (...credits: number[]) =>
  credits.map((n, d) => ({ startsAt: START + d * DAY_MS, credits: n }));
const at = (days: number) => START + days * DAY_MS;

describe("the forecast, from daily totals", () => {
  it.each([
    {
      name: "period so far: 3 days at 100 a day, 2,800 left: 28 days on, not before the reset",
      days: history(100, 100, 100),
      now: at(3),
      remaining: 2_800,
      want: { dailyRate: 100, exhaustsAt: null, basis: "periodSoFar" },
    },
    {
      name: "period so far: 3 days at 100 a day, 600 left: six days on",
      days: history(100, 100, 100),
      now: at(3),
      remaining: 600,
      want: { dailyRate: 100, exhaustsAt: at(9), basis: "periodSoFar" },
    },
    {
      name: "last 7 days: a busy first week no longer counts",
      days: history(1_000, 1_000, 1_000, 0, 0, 0, 0, 70, 70, 70, 70, 70, 70, 70),
      now: at(14),
      remaining: 700,
      want: { dailyRate: 70, exhaustsAt: at(24), basis: "last7Days" },
    },
    {
      name: "half a day in: the rate of that half day",
      days: history(50),
      now: at(0.5),
      remaining: 1_000,
      want: { dailyRate: 100, exhaustsAt: at(10.5), basis: "periodSoFar" },
    },
    {
      name: "nothing used: never runs out",
      days: history(0, 0),
      now: at(2),
      remaining: 10,
      want: { dailyRate: 0, exhaustsAt: null, basis: "periodSoFar" },
    },
    {
      name: "nothing left: now",
      days: history(10, 10),
      now: at(2),
      remaining: 0,
      want: { dailyRate: 10, exhaustsAt: at(2), basis: "periodSoFar" },
    },
  ])("$name", ({ days, now, remaining, want }) => {
    const f = forecast(days, now, period, remaining);
    expect(f).toEqual(want);
  });
});
