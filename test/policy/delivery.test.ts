import { describe, expect, it } from "vitest";
import {
  afterAttempt,
  type Delivery,
  GIVE_UP_AFTER_MS,
  isDue,
  retryDelay,
} from "../../src/policy/delivery";
import { DAY_MS, HOUR_MS, SECOND_MS } from "../../src/policy/time";

const T0 = Date.UTC(2026, 6, 1, 12);

const fresh: Delivery = {
  status: "pending",
  attempts: 0,
  recordedAt: T0,
  nextAttemptAt: T0,
  lastAttemptAt: null,
  lastError: null,
  deliveredAt: null,
};

describe("webhook delivery policy", () => {
  it.each([
    [1, 5 * SECOND_MS],
    [2, 20 * SECOND_MS],
    [3, 80 * SECOND_MS],
    [4, 320 * SECOND_MS],
    [5, 1_280 * SECOND_MS],
    [6, 5_120 * SECOND_MS],
    [7, 20_480 * SECOND_MS],
    [8, 6 * HOUR_MS],
    [9, 6 * HOUR_MS],
    [1_000, 6 * HOUR_MS],
  ])("waits %i failures → %i ms", (failures, delay) => {
    expect(retryDelay(failures)).toBe(delay);
  });

  it("delivers on success and keeps the attempt count", () => {
    const failed = afterAttempt(fresh, { ok: false, error: "HTTP 500" }, T0);
    const delivered = afterAttempt(failed, { ok: true }, T0 + 5 * SECOND_MS);
    expect(delivered).toEqual({
      status: "delivered",
      attempts: 2,
      recordedAt: T0,
      nextAttemptAt: null,
      lastAttemptAt: T0 + 5 * SECOND_MS,
      lastError: null,
      deliveredAt: T0 + 5 * SECOND_MS,
    });
  });

  it("retries a failure within 10 s, with the error", () => {
    const failed = afterAttempt(fresh, { ok: false, error: "HTTP 503" }, T0 + 100);
    expect(failed).toEqual({
      ...fresh,
      attempts: 1,
      nextAttemptAt: T0 + 100 + 5 * SECOND_MS,
      lastAttemptAt: T0 + 100,
      lastError: "HTTP 503",
    });
    expect(isDue(failed, T0 + 100 + 5 * SECOND_MS - 1)).toBe(false);
    expect(isDue(failed, T0 + 100 + 5 * SECOND_MS)).toBe(true);
  });

  it("tries 19 times over 3 days, the last at the 3-day mark, then fails", () => {
    let delivery = fresh;
    const attemptsAt: number[] = [];
    while (delivery.status === "pending") {
      const at = delivery.nextAttemptAt ?? T0;
      attemptsAt.push((at - T0) / SECOND_MS);
      delivery = afterAttempt(delivery, { ok: false, error: "HTTP 500" }, at);
    }
    expect(attemptsAt).toEqual([
      0, 5, 25, 105, 425, 1_705, 6_825, 27_305, 48_905, 70_505, 92_105, 113_705, 135_305, 156_905,
      178_505, 200_105, 221_705, 243_305, 259_200,
    ]);
    expect(delivery).toEqual({
      status: "failed",
      attempts: 19,
      recordedAt: T0,
      nextAttemptAt: null,
      lastAttemptAt: T0 + GIVE_UP_AFTER_MS,
      lastError: "HTTP 500",
      deliveredAt: null,
    });
  });

  it("counts the 3 days from recording, so a held-back event gives up with its outage", () => {
    // Its first attempt comes 3 days late, behind a failing event: it gets that one attempt.
    const failed = afterAttempt(fresh, { ok: false, error: "timeout" }, T0 + 3 * DAY_MS + 1);
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(1);
    const almost = afterAttempt(fresh, { ok: false, error: "timeout" }, T0 + 3 * DAY_MS - 1);
    expect(almost.status).toBe("pending");
    expect(almost.nextAttemptAt).toBe(T0 + 3 * DAY_MS);
  });

  it.each([
    ["pending, due", fresh, T0, true],
    ["pending, before its next attempt", { ...fresh, nextAttemptAt: T0 + 1 }, T0, false],
    ["delivered", { ...fresh, status: "delivered" as const }, T0 + DAY_MS, false],
    ["failed", { ...fresh, status: "failed" as const }, T0 + DAY_MS, false],
    ["disabled", { ...fresh, status: "disabled" as const }, T0 + DAY_MS, false],
  ])("is due: %s", (_, delivery, now, due) => {
    expect(isDue(delivery, now)).toBe(due);
  });
});
