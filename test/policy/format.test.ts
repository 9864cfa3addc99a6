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

  it("formats every instant as toISOString does, past its cache's size and back", () => {
    const base = Date.parse("2026-08-01T00:00:00.000Z");
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 200; i++) {
        const at = base + i * 86_399_999;
        expect(iso(at)).toBe(new Date(at).toISOString());
      }
    }
    expect(() => iso(Number.NaN)).toThrow(RangeError);
  });
});
