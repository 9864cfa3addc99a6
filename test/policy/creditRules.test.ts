import { describe, expect, it } from "vitest";
import {
  decidePackage,
  holdMessage,
  MAX_ACTIVE_PACKAGES,
  MAX_RESET_EVENTS,
  planRenewals,
} from "../../src/policy/credits";
import { type Schedule, scheduleAt } from "../../src/policy/periods";

const at = (s: string) => Date.parse(s);
const anchor = at("2026-01-15T00:00:00Z");
/** The schedule a settle left in force on 2026-07-20: July 15 to August 15. */
const july: Schedule = scheduleAt(anchor, at("2026-07-20T00:00:00Z"));

describe("planRenewals", () => {
  it.each([
    // [stored, now, plan: null, or the next start and the renewals' started starts]
    ["the stored schedule, before its end", july, "2026-08-01T00:00:00Z", null],
    ["the stored schedule, one instant before its end", july, "2026-08-14T23:59:59.999Z", null],
    [
      "the stored schedule, at its end",
      july,
      "2026-08-15T00:00:00Z",
      ["2026-08-15T00:00:00.000Z", ["2026-08-15T00:00:00.000Z"]],
    ],
    [
      "two renewals missed",
      july,
      "2026-09-20T00:00:00Z",
      ["2026-09-15T00:00:00.000Z", ["2026-08-15T00:00:00.000Z", "2026-09-15T00:00:00.000Z"]],
    ],
    [
      "nothing stored yet (or a legacy record): the schedule is stored, nothing announced",
      undefined,
      "2026-08-01T00:00:00Z",
      ["2026-07-15T00:00:00.000Z", []],
    ],
    [
      "the same start stored with another end: stored again, nothing announced",
      { ...july, end: at("2026-08-20T00:00:00Z") },
      "2026-08-01T00:00:00Z",
      ["2026-07-15T00:00:00.000Z", []],
    ],
    [
      "another anchor stored: stored again, nothing announced",
      { ...july, anchor: at("2026-01-01T00:00:00Z") },
      "2026-08-01T00:00:00Z",
      ["2026-07-15T00:00:00.000Z", []],
    ],
  ] as const)("%s", (_, stored, now, expected) => {
    const plan = planRenewals(stored, july, at(now));
    if (expected === null) {
      expect(plan).toBeNull();
      return;
    }
    expect(plan).not.toBeNull();
    expect(new Date(plan?.next.start ?? 0).toISOString()).toBe(expected[0]);
    expect(plan?.renewals.map((r) => new Date(r.started.start).toISOString())).toEqual(expected[1]);
  });

  it("announces at most MAX_RESET_EVENTS renewals, the most recent, after a long idle", () => {
    const plan = planRenewals(july, july, at("2028-07-20T00:00:00Z"));
    expect(plan?.renewals).toHaveLength(MAX_RESET_EVENTS);
    expect(plan?.renewals.at(-1)?.started.start).toBe(at("2028-07-15T00:00:00Z"));
    expect(plan?.next).toEqual({
      anchor,
      start: at("2028-07-15T00:00:00Z"),
      end: at("2028-08-15T00:00:00Z"),
    });
  });
});

describe("decidePackage", () => {
  const now = at("2026-07-20T00:00:00Z");
  it.each([
    // [expiresAt, other active packages, expected]
    ["2026-08-01T00:00:00Z", 0, { active: true }],
    ["2026-08-01T00:00:00Z", MAX_ACTIVE_PACKAGES - 1, { active: true }],
    ["2026-08-01T00:00:00Z", MAX_ACTIVE_PACKAGES, "too_many_packages"],
    ["2026-08-01T00:00:00Z", MAX_ACTIVE_PACKAGES + 5, "too_many_packages"],
    // An expired package counts for nothing, so the cap never refuses it.
    ["2026-07-20T00:00:00Z", MAX_ACTIVE_PACKAGES, { active: false }],
    ["2026-07-01T00:00:00Z", MAX_ACTIVE_PACKAGES + 5, { active: false }],
  ] as const)("expires %s with %i others active → %o", (expiresAt, others, expected) => {
    const decision = decidePackage(at(expiresAt), now, others);
    expect(decision.ok ? decision.value : decision.error.code).toEqual(expected);
  });

  it("names the cap in its message", () => {
    const decision = decidePackage(now + 1, now, MAX_ACTIVE_PACKAGES);
    expect(decision.ok ? "" : decision.error.message).toContain(`${MAX_ACTIVE_PACKAGES} active`);
  });
});

describe("holdMessage", () => {
  it.each([
    [
      "Allowed.",
      "2026-07-20T00:01:00Z",
      "Allowed. The hold expires at 2026-07-20 00:01 UTC unless committed or released.",
    ],
    [
      "OK: 10 credits.",
      "2026-12-31T23:59:59Z",
      "OK: 10 credits. The hold expires at 2026-12-31 23:59 UTC unless committed or released.",
    ],
  ] as const)("%s until %s", (message, expiresAt, expected) => {
    expect(holdMessage(message, at(expiresAt))).toBe(expected);
  });
});
