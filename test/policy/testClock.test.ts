import { describe, expect, it } from "vitest";
import { moveTestClock } from "../../src/policy/testClock";

const at = (s: string) => Date.parse(s);

describe("moveTestClock: test clocks only move forward", () => {
  it.each([
    // [current, requested, allowed]
    [undefined, "2026-07-20T00:00:00Z", true],
    [undefined, "2020-01-01T00:00:00Z", true],
    ["2026-07-20T00:00:00Z", "2026-07-20T00:00:00Z", true],
    ["2026-07-20T00:00:00Z", "2026-07-20T00:00:00.001Z", true],
    ["2026-07-20T00:00:00Z", "2027-01-01T00:00:00Z", true],
    ["2026-07-20T00:00:00Z", "2026-07-19T23:59:59.999Z", false],
    ["2026-07-20T00:00:00Z", "2026-01-01T00:00:00Z", false],
  ] as const)("from %s to %s → %s", (current, requested, allowed) => {
    const move = moveTestClock(current === undefined ? undefined : at(current), at(requested));
    expect(move.ok).toBe(allowed);
    if (move.ok) expect(move.value).toBe(at(requested));
    else {
      expect(move.error.code).toBe("invalid_request");
      expect(move.error.details).toEqual([
        {
          path: "now",
          message: `must not be before the current test clock ${current === undefined ? "" : new Date(at(current)).toISOString()}`,
        },
      ]);
    }
  });
});
