import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FIRST_RETRY_DELAY_MS } from "../../src/policy/delivery";
import { iso } from "../../src/policy/time";
import { armProbe, installProbe } from "../cron/probe";
import { alarmOf, deleteAlarm, indexed, runCron } from "../cron/sweep";
import {
  advanceTimeTo,
  call,
  freezeTime,
  freshWorkspace,
  settledAlarm,
  subscribe,
} from "../support/helpers";
import { received, releaseHeld, scriptAnswers } from "./client";

installProbe();
// Real-time workspaces on a frozen Date: no alarm rings by itself; each test moves the clock
// and rings the alarm (or runs the cron) the way workerd and the trigger would.
freezeTime();

const feed = async (ws: string) => (await call("GET", `/v1/workspaces/${ws}/events`)).json;

/** A workspace whose probe (a stand-in grace end) is due at `dueAt`, its alarm armed for it. */
async function probedWorkspace(dueAt: number) {
  const ws = freshWorkspace("bg");
  await armProbe(env.WORKSPACE.getByName(ws), dueAt);
  expect((await subscribe(ws)).status).toBe(200);
  expect(await settledAlarm(ws)).toBe(dueAt);
  return ws;
}

describe("webhook delivery without traffic", () => {
  it("a grace end left alone is enforced and notified by the alarm, retries included", async () => {
    const dueAt = Date.now() + 200;
    const ws = await probedWorkspace(dueAt);
    await scriptAnswers(ws, [{ status: 500 }]);
    const stub = env.WORKSPACE.getByName(ws);
    // From here on nothing calls the workspace: its alarm records the enforcement, delivers
    // it, fails, and arms itself for the retry 5 s later.
    advanceTimeTo(dueAt);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await received(ws)).map((d) => d.answered)).toEqual([500]);
    const retryAt = dueAt + FIRST_RETRY_DELAY_MS;
    expect((await feed(ws)).events[0].delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      nextAttemptAt: iso(retryAt),
    });
    expect(await settledAlarm(ws)).toBe(retryAt);
    // Not a moment early: due work run before the retry's instant sends nothing.
    advanceTimeTo(retryAt - 1);
    await stub.runDueWork();
    expect(await received(ws)).toHaveLength(1);
    advanceTimeTo(retryAt);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const deliveries = await received(ws);
    expect(deliveries.map((d) => [d.verified, d.answered])).toEqual([
      [true, 500],
      [true, 204],
    ]);
    expect(deliveries[0]?.webhookId).toBe(deliveries[1]?.webhookId);
    const { events } = await feed(ws);
    expect(events.map((e: { type: string }) => e.type)).toEqual(["limit.enforced"]);
    expect(events[0].delivery).toMatchObject({
      status: "delivered",
      attempts: 2,
      deliveredAt: iso(retryAt),
    });
  });

  it("the cron retries a delivery whose alarm was missed", async () => {
    const dueAt = Date.now() + 200;
    const ws = await probedWorkspace(dueAt);
    await scriptAnswers(ws, [{ status: 500 }]);
    advanceTimeTo(dueAt);
    expect(await runDurableObjectAlarm(env.WORKSPACE.getByName(ws))).toBe(true);
    expect(await received(ws)).toHaveLength(1);
    // The failed attempt is saved and its retry reported; then the alarm is lost.
    const retryAt = dueAt + FIRST_RETRY_DELAY_MS;
    expect(await settledAlarm(ws)).toBe(retryAt);
    expect(await indexed(ws)).toBe(retryAt);
    await deleteAlarm(ws);
    advanceTimeTo(retryAt + 100);
    expect(await received(ws)).toHaveLength(1);
    await runCron();
    const deliveries = await received(ws);
    expect(deliveries.map((d) => d.answered)).toEqual([500, 204]);
    expect((await feed(ws)).events[0].delivery).toMatchObject({ status: "delivered", attempts: 2 });
    expect(await alarmOf(ws)).not.toBeNull();
  });

  it("sends each event once when sweeps and direct runs overlap a slow delivery", async () => {
    const dueAt = Date.now() + 1_500;
    const ws = await probedWorkspace(dueAt);
    // The receiver holds the delivery until released, so every run below overlaps it.
    await scriptAnswers(ws, [{ hold: true }]);
    const stub = env.WORKSPACE.getByName(ws);
    expect(await indexed(ws)).toBe(dueAt);
    await deleteAlarm(ws);
    advanceTimeTo(dueAt + 50);
    const runs = Promise.all([
      runCron(),
      runCron(),
      stub.runDueWork(),
      stub.runDueWork(),
      runCron(),
    ]);
    expect(await received(ws, 1)).toHaveLength(1);
    await releaseHeld(ws);
    await runs;
    await runCron();
    const { events } = await feed(ws);
    expect(events).toHaveLength(1);
    expect(events[0].delivery).toMatchObject({ status: "delivered", attempts: 1 });
    const deliveries = await received(ws);
    expect(deliveries.map((d) => [d.webhookId, d.answered])).toEqual([[events[0].id, 204]]);
  });
});
