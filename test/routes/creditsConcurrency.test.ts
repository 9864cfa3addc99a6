import { describe, expect, it } from "vitest";
import {
  commit,
  consume,
  credits,
  expectCountersMatchLedger,
  release,
  reserve,
  setLimit,
  setup,
} from "../support/credits";
import { storedEvents } from "../support/events";
import { freshWorkspace } from "../support/helpers";

describe("atomicity through the Worker", () => {
  it("allows exactly what the feature limit and then the balance permit, under hundreds of concurrent calls", async () => {
    const ws = freshWorkspace();
    await setup(ws); // Pro × 3 = 6,750
    await setLimit(ws, "ai_rewriter", 150);

    // Phase 1: 300 concurrent 2-credit consumes against a 150-credit cap: exactly 75 pass.
    const capped = await Promise.all(
      Array.from({ length: 300 }, () => consume(ws, "ai_rewriter", 2)),
    );
    expect(capped.every((r) => r.status === 200)).toBe(true);
    const allowedCapped = capped.filter((r) => r.json.allowed);
    expect(allowedCapped).toHaveLength(75);
    expect(new Set(capped.filter((r) => !r.json.allowed).map((r) => r.json.reason))).toEqual(
      new Set(["feature_limit_reached"]),
    );
    // Each allowed answer saw a distinct state: the debits were serialised.
    expect(new Set(allowedCapped.map((r) => r.json.featureUsed)).size).toBe(75);

    // Phase 2: 400 concurrent 20-credit calls, half consumes and half reservations, against
    // the 6,600 credits left: exactly 330 pass, whatever the interleaving.
    const mixed = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        i % 2 === 0 ? consume(ws, "ai_summarize", 20) : reserve(ws, "copilot", 20, 3_600),
      ),
    );
    expect(mixed.every((r) => r.status === 200)).toBe(true);
    const allowed = mixed.filter((r) => r.json.allowed);
    expect(allowed).toHaveLength(330);
    expect(new Set(mixed.filter((r) => !r.json.allowed).map((r) => r.json.reason))).toEqual(
      new Set(["insufficient_credits"]),
    );
    const consumed = allowed.filter((r) => r.json.reservationId === undefined).length;
    const held = allowed.length - consumed;
    const view = (await credits(ws)).json;
    expect(view).toMatchObject({
      used: 150 + consumed * 20,
      held: held * 20,
      remaining: 0,
      monthlyBalance: 6_750,
    });

    // Commit three quarters of the reservations (some with an overrun) and release the rest,
    // concurrently.
    const ids = allowed.map((r) => r.json.reservationId).filter((id): id is string => !!id);
    const releases = (i: number) => i % 4 === 3;
    const closed = await Promise.all(
      ids.map((id, i) => (releases(i) ? release(ws, id) : commit(ws, id, 20 + (i % 3)))),
    );
    expect(closed.every((r) => r.status === 200)).toBe(true);
    const overrun = ids.reduce((sum, _id, i) => sum + (releases(i) ? 0 : i % 3), 0);
    const released = ids.filter((_id, i) => releases(i)).length * 20;
    const after = (await credits(ws)).json;
    expect(after).toMatchObject({ held: 0, remaining: released - overrun });
    expect(after.used).toBe(6_750 - released + overrun);
    // Spend what is left, to the credit.
    expect((await consume(ws, "ai_summarize", released - overrun)).json.remaining).toBe(0);

    // The counters equal the ledger's sums, per period and feature.
    const { counters } = await expectCountersMatchLedger(ws);
    expect(counters.held).toEqual([]);
    // Thresholds were announced once each, however many calls crossed them together.
    const thresholds = (await storedEvents(ws)).filter((e) => e.type === "credits.threshold");
    expect(thresholds.map((e) => e.data.percent)).toEqual([80, 100]);
  });

  it("never overspends a small balance under concurrent reservations and consumes of one feature", async () => {
    const ws = freshWorkspace();
    await setup(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00Z",
      overrides: { aiCreditsPerSeat: 99 },
    });
    await setLimit(ws, "ai_task_suggestions", 60);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 3 === 0
          ? reserve(ws, "ai_task_suggestions", 3)
          : i % 3 === 1
            ? consume(ws, "ai_task_suggestions", 3)
            : consume(ws, "ai_reply_suggestions", 3),
      ),
    );
    const task = replies.filter((r, i) => i % 3 !== 2 && r.json.allowed).length;
    const reply = replies.filter((r, i) => i % 3 === 2 && r.json.allowed).length;
    // 99 credits are 33 spends of 3; the task feature may take at most 20 of them.
    expect(task + reply).toBe(33);
    expect(task).toBeLessThanOrEqual(20);
    const view = (await credits(ws)).json;
    expect(view.used + view.held).toBe(99);
    expect(view.remaining).toBe(0);
    await expectCountersMatchLedger(ws);
  });
});
