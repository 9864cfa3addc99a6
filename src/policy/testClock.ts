import { fail, type Outcome, ok } from "../outcome";
import { type Instant, iso } from "./time";

/**
 * A workspace's test clock freezes at its first setting and then only moves forward: due work
 * already applied up to the frozen instant (renewals, expiries, deliveries) cannot be undone,
 * so going back would leave figures that no real clock could produce. Moving to the same
 * instant is allowed (it runs due work again, which finds nothing new).
 */
export function moveTestClock(current: Instant | undefined, at: Instant): Outcome<Instant> {
  if (current !== undefined && at < current) {
    return fail(
      "invalid_request",
      `Invalid request: now: test clocks only move forward (now is ${iso(current)})`,
      [{ path: "now", message: `must not be before the current test clock ${iso(current)}` }],
    );
  }
  return ok(at);
}
