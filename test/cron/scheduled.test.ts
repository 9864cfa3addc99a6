import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EVENT_RETENTION_MS } from "../../src/policy/delivery";
import { periodAt } from "../../src/policy/periods";
import { HOUR_MS } from "../../src/policy/time";
import { storedEvents } from "../support/events";
import {
  advanceTimeTo,
  freezeTime,
  freshWorkspace,
  setClock,
  settledAlarm,
  subscribe,
} from "../support/helpers";
import { armProbe, installProbe } from "./probe";
import { alarmOf, deleteAlarm, indexed, runCron } from "./sweep";

installProbe();
// Real-time workspaces on a frozen Date: the tests ring the alarms and move the clock.
freezeTime();

/**
 * After the probe's deadline, what is left due: its event's end of retention, or the credit
 * pool's next renewal (the helpers' subscription is anchored on 2026-07-15), whichever is first.
 */
const nextDue = (recordedAt: number) =>
  Math.min(
    recordedAt + EVENT_RETENTION_MS,
    periodAt(Date.parse("2026-07-15T00:00:00.000Z"), Date.now()).end,
  );

/**
 * A real-time workspace whose probe (a stand-in grace end) is due at `dueAt`, in the due index,
 * with its alarm deleted: as if the alarm had been missed, only the cron can apply it now.
 */
async function missedAlarmWorkspace(dueAt: number) {
  const ws = freshWorkspace("cron");
  await armProbe(env.WORKSPACE.getByName(ws), dueAt);
  expect((await subscribe(ws)).status).toBe(200);
  expect(await settledAlarm(ws)).toBe(dueAt);
  expect(await indexed(ws)).toBe(dueAt);
  await deleteAlarm(ws);
  return ws;
}

describe("due index reports", () => {
  it("reports a workspace's next deadline to its shard after a mutation, via its alarm", async () => {
    const ws = freshWorkspace("cron");
    const dueAt = Date.now() + HOUR_MS;
    await armProbe(env.WORKSPACE.getByName(ws), dueAt);
    expect((await subscribe(ws)).status).toBe(200);
    // The mutation armed the alarm for now; the alarm reports the deadline and re-arms.
    expect(await alarmOf(ws)).toBe(Date.now());
    expect(await indexed(ws)).toBeNull();
    expect(await settledAlarm(ws)).toBe(dueAt);
    expect(await indexed(ws)).toBe(dueAt);
    // A mutation that leaves the deadline where the index has it arms the alarm at it directly.
    expect(
      (await subscribe(ws, { plan: "base", seats: 2, periodAnchor: "2026-07-15T00:00:00Z" }))
        .status,
    ).toBe(200);
    expect(await alarmOf(ws)).toBe(dueAt);
    expect(await indexed(ws)).toBe(dueAt);
  });

  it("takes a workspace out of the index and its alarm when its test clock freezes", async () => {
    const ws = freshWorkspace("cron");
    const dueAt = Date.now() + HOUR_MS;
    await armProbe(env.WORKSPACE.getByName(ws), dueAt);
    await subscribe(ws);
    expect(await settledAlarm(ws)).toBe(dueAt);
    expect(await indexed(ws)).toBe(dueAt);
    expect((await setClock(ws, "2026-07-01T00:00:00Z")).status).toBe(200);
    expect(await indexed(ws)).toBeNull();
    expect(await alarmOf(ws)).toBeNull();
  });
});

describe("due work without traffic", () => {
  it("is applied by the workspace's alarm when its deadline passes", async () => {
    const ws = freshWorkspace("cron");
    const dueAt = Date.now() + 300;
    await armProbe(env.WORKSPACE.getByName(ws), dueAt);
    await subscribe(ws);
    expect(await settledAlarm(ws)).toBe(dueAt);
    // No request after this point: only the alarm can record the enforcement.
    advanceTimeTo(dueAt + 20);
    expect(await storedEvents(ws, { ms: true, recorded: true })).toEqual([]);
    expect(await runDurableObjectAlarm(env.WORKSPACE.getByName(ws))).toBe(true);
    const events = await storedEvents(ws, { ms: true, recorded: true });
    expect(events.map((e) => [e.type, e.occurredAt])).toEqual([["limit.enforced", dueAt]]);
    expect(events[0]?.recordedAt).toBe(dueAt + 20);
    // What is left due is the event's end of retention or the next credit renewal.
    const retentionEnd = nextDue(dueAt + 20);
    expect(await indexed(ws)).toBe(retentionEnd);
    expect(await alarmOf(ws)).toBe(retentionEnd);
  });

  it("is applied by the cron when the alarm was missed", async () => {
    const dueAt = Date.now() + 1_500;
    const ws = await missedAlarmWorkspace(dueAt);
    advanceTimeTo(dueAt + 50);
    expect(await storedEvents(ws, { ms: true, recorded: true })).toEqual([]);
    await runCron();
    const events = await storedEvents(ws, { ms: true, recorded: true });
    expect(events.map((e) => [e.type, e.occurredAt])).toEqual([["limit.enforced", dueAt]]);
    // Late, but dated when it was due; what is left due is the event's end of retention.
    const retentionEnd = nextDue(events[0]?.recordedAt ?? 0);
    expect(events[0]?.recordedAt).toBeGreaterThan(dueAt);
    expect(await indexed(ws)).toBe(retentionEnd);
    expect(await alarmOf(ws)).toBe(retentionEnd);
  });

  it("applies each effect once when the cron runs twice, concurrently and late, with direct runs", async () => {
    const dueAt = Date.now() + 1_500;
    const workspaces = await Promise.all([1, 2, 3].map(() => missedAlarmWorkspace(dueAt)));
    advanceTimeTo(dueAt + 50);
    const stubs = workspaces.map((ws) => env.WORKSPACE.getByName(ws));
    await Promise.all([
      runCron(),
      runCron(),
      ...stubs.map((stub) => stub.runDueWork()),
      ...stubs.map((stub) => stub.runDueWork()),
    ]);
    await runCron();
    for (const ws of workspaces) {
      const events = await storedEvents(ws, { ms: true, recorded: true });
      expect(events.map((e) => [e.type, e.occurredAt])).toEqual([["limit.enforced", dueAt]]);
      expect(await indexed(ws)).toBe(nextDue(events[0]?.recordedAt ?? 0));
    }
  });
});
