import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { armProbe, installProbe } from "../cron/probe";
import { alarmOf, deleteAlarm, indexed, runCron } from "../cron/sweep";
import { sleep, waitFor } from "../cron/wait";
import { call, freshWorkspace, subscribe } from "../helpers";
import { received, scriptAnswers } from "./client";

installProbe();

/** Real-time workspaces here: their alarms fire by themselves, and the cron can see them. */

const feed = async (ws: string) => (await call("GET", `/v1/workspaces/${ws}/events`)).json;

describe("webhook delivery without traffic", () => {
  it("a grace end left alone is enforced and notified by the alarm, retries included", {
    timeout: 30_000,
  }, async () => {
    const ws = freshWorkspace("bg");
    await scriptAnswers(ws, [{ status: 500 }]);
    await armProbe(env.WORKSPACE.getByName(ws), Date.now() + 200);
    await subscribe(ws);
    // From here on nothing calls the workspace: its alarm records the enforcement, delivers
    // it, fails, and retries 5 s later.
    const deliveries = await waitFor(
      () => received(ws),
      (list) => list.length === 2,
      15_000,
    );
    expect(deliveries.map((d) => [d.verified, d.answered])).toEqual([
      [true, 500],
      [true, 204],
    ]);
    expect(deliveries[0]?.webhookId).toBe(deliveries[1]?.webhookId);
    const gap = (deliveries[1]?.receivedAt ?? 0) - (deliveries[0]?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(4_900);
    expect(gap).toBeLessThan(10_000);
    const { events } = await feed(ws);
    expect(events.map((e: { type: string }) => e.type)).toEqual(["limit.enforced"]);
    expect(events[0].delivery).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("the cron retries a delivery whose alarm was missed", { timeout: 30_000 }, async () => {
    const ws = freshWorkspace("bg");
    await scriptAnswers(ws, [{ status: 500 }]);
    await armProbe(env.WORKSPACE.getByName(ws), Date.now() + 200);
    await subscribe(ws);
    await waitFor(
      () => received(ws),
      (list) => list.length === 1,
    );
    // Wait until the failed attempt is saved and its retry reported, then lose the alarm.
    const retryAt = await waitFor(
      async () => (await feed(ws)).events[0]?.delivery.nextAttemptAt ?? null,
      (at) => at !== null,
    );
    const retryAtMs = Date.parse(retryAt ?? "");
    await waitFor(
      () => indexed(ws),
      (at) => at === retryAtMs,
    );
    await waitFor(
      () => alarmOf(ws),
      (at) => at === retryAtMs,
    );
    await deleteAlarm(ws);
    await sleep(retryAtMs - Date.now() + 100);
    expect(await received(ws)).toHaveLength(1);
    await runCron();
    const deliveries = await received(ws);
    expect(deliveries.map((d) => d.answered)).toEqual([500, 204]);
    expect((await feed(ws)).events[0].delivery).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("sends each event once when sweeps and direct runs overlap a slow delivery", {
    timeout: 30_000,
  }, async () => {
    const ws = freshWorkspace("bg");
    await scriptAnswers(ws, [{ delayMs: 1_000 }]);
    const dueAt = Date.now() + 1_500;
    const stub = env.WORKSPACE.getByName(ws);
    await armProbe(stub, dueAt);
    await subscribe(ws);
    await waitFor(
      () => indexed(ws),
      (at) => at === dueAt,
    );
    await deleteAlarm(ws);
    await sleep(dueAt - Date.now() + 50);
    await Promise.all([runCron(), runCron(), stub.runDueWork(), stub.runDueWork(), runCron()]);
    await runCron();
    const { events } = await feed(ws);
    expect(events).toHaveLength(1);
    expect(events[0].delivery).toMatchObject({ status: "delivered", attempts: 1 });
    const deliveries = await received(ws);
    expect(deliveries.map((d) => [d.webhookId, d.answered])).toEqual([[events[0].id, 204]]);
  });
});
