import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { DUE_SHARDS, dueShard, dueShardFor } from "../../src/dueIndex";
import { BUILT_IN_CATALOGUE } from "../../src/policy/catalogue";
import type { Memory } from "../../src/workspace/memory";
import { SWITCH_SPREAD_MS, spreadAfter } from "../../src/workspace/schedule";
import { runCron } from "../cron/sweep";
import { storedEvents } from "../support/events";
import {
  advanceTimeTo,
  call,
  freezeTime,
  freshWorkspace,
  platformWith,
  settledAlarm,
  subscribe,
} from "../support/helpers";

/**
 * The catalogue's durable fan-out end to end (docs/catalogue.md, "The fan-out"), in real time
 * (Date frozen for the whole isolate, so workerd rings no alarm by itself: the test rings the
 * shards' and the workspaces'): a publish through the Worker is announced to every due index
 * shard before its answer; each shard tells its workspaces from its alarm; each learns the
 * version before it applies and arms its alarm within the spread after the instant, and the
 * alarm alone switches it there. An announcement lost is made again by the cron.
 */
freezeTime();

const MINUTE = 60_000;

/**
 * Each test starts at the same frozen instant (about the real clock's) and publishes a version
 * sooner than the tests before it did, so that its version is the next switch of the workspaces
 * it watches, and their alarm its spread.
 */
const LEAD = { published: 30 * MINUTE, lost: 20 * MINUTE, withdrawn: 12 * MINUTE };

const shards = () => Array.from({ length: DUE_SHARDS }, (_, shard) => dueShard(env, shard));
const generations = async () =>
  Promise.all(shards().map(async (s) => (await s.fanOut()).generation));

/** Rings every shard's alarm until each is done: the whole fan-out. */
async function runFanOut() {
  for (const shard of shards()) {
    for (let run = 0; await runDurableObjectAlarm(shard); run++) {
      if (run > 20) throw new Error("a shard's fan-out did not end");
    }
    expect((await shard.fanOut()).cursor).toBeNull();
  }
}

/**
 * Quiet subscribed workspaces, in the due index (their renewal) and out of the fleet index;
 * `late`: only ids whose switch alarm rings at least 5 minutes into the spread (see the
 * withdrawal's test).
 */
async function quietWorkspaces(prefix: string, n: number, late = false) {
  const anchor = new Date(Date.now() - 24 * 60 * MINUTE).toISOString();
  const pick = () => {
    for (;;) {
      const ws = freshWorkspace(prefix);
      if (!late || (spreadAfter(0, ws) as number) >= 5 * MINUTE) return ws;
    }
  };
  const ids = Array.from({ length: n }, pick);
  for (const ws of ids) {
    const sub = await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: anchor });
    expect(sub.status).toBe(200);
    expect(await settledAlarm(ws)).not.toBeNull();
    expect(await dueShardFor(env, ws).dueAt(ws)).not.toBeNull();
    // Out of the fleet index: the due index is what reaches them.
    await env.FLEET?.prepare("DELETE FROM fleet_workspaces WHERE workspace_id = ?").bind(ws).run();
  }
  return ids;
}

/** A draft: Advanced with `credits` credits a seat. */
async function draft(id: string, credits: number) {
  const v = structuredClone(BUILT_IN_CATALOGUE);
  v.plans.advanced.aiCreditsPerSeat = credits;
  const body = { plans: v.plans, featureCosts: v.featureCosts };
  expect((await call("PUT", `/v1/catalogue/versions/${id}`, { body })).status).toBe(200);
}

/** A platform call through the Worker; `fanOut: "off"` loses its announcement. */
const platform = (method: string, path: string, body?: unknown, fanOut?: "off") =>
  // Nothing is left for after the answer: the announcement is made before it.
  platformWith(fanOut === "off" ? { CATALOGUE_FAN_OUT: "off" } : {}, method, path, body);

const publish = (id: string, effectiveAt: number, fanOut?: "off") =>
  platform(
    "POST",
    `/v1/catalogue/versions/${id}/publish`,
    { effectiveAt: new Date(effectiveAt).toISOString() },
    fanOut,
  );

/** The Worker's cron, its finance exports' log line silenced. */
async function quietCron() {
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await runCron();
  } finally {
    log.mockRestore();
  }
}

const known = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (o) =>
    (o as unknown as { memory: Memory }).memory.schedule.versions.map((x) => x.id),
  );

describe("the durable fan-out through the due index", () => {
  it("a published version reaches every quiet workspace, which switches at exactly effectiveAt", async () => {
    const effectiveAt = Date.now() + LEAD.published;
    const told = await quietWorkspaces("fan", 3);
    await draft("v-fan", 2_000);
    const before = await generations();
    expect((await publish("v-fan", effectiveAt)).status).toBe(200);
    // Answered once every shard took the new generation; no workspace was told yet.
    expect(await generations()).toEqual(before.map(() => Math.max(...before) + 1));
    for (const ws of told) expect(await known(ws)).not.toContain("v-fan");

    await runFanOut();
    for (const ws of told) {
      // No call reached the workspace since the publish: its shard told it.
      expect(await known(ws)).toContain("v-fan");
      const alarm = await settledAlarm(ws);
      // Within [effectiveAt, effectiveAt + spread): the instant itself is in it (an id whose
      // share of the spread is 0, or an alarm armed before the workspace settled again).
      expect(alarm as number).toBeGreaterThanOrEqual(effectiveAt);
      expect(alarm as number).toBeLessThan(effectiveAt + SWITCH_SPREAD_MS);
    }
    // Each alarm, rung at its time, switches its workspace, the event dated at the instant.
    const alarms = await Promise.all(told.map((ws) => settledAlarm(ws)));
    for (const [i, ws] of [...told.entries()].sort(
      ([a], [b]) => (alarms[a] ?? 0) - (alarms[b] ?? 0),
    )) {
      advanceTimeTo(alarms[i] as number);
      expect(await runDurableObjectAlarm(env.WORKSPACE.getByName(ws))).toBe(true);
      const changed = (await storedEvents(ws)).filter((e) => e.type === "limits.changed");
      expect(changed.map((e) => [e.occurredAt, e.data.after.includedCredits])).toEqual([
        [new Date(effectiveAt).toISOString(), 2_000],
      ]);
    }
  });

  it("a lost announcement is made again by the cron, within a minute", async () => {
    const effectiveAt = Date.now() + LEAD.lost;
    const told = await quietWorkspaces("fan-lost", 2);
    await draft("v-fan-lost", 2_500);
    const before = await generations();
    expect((await publish("v-fan-lost", effectiveAt, "off")).status).toBe(200);
    // Stored, but no shard heard of it: the operator sees every shard behind.
    expect(await generations()).toEqual(before);
    const lost = (await platform("GET", "/v1/catalogue/fan-out")).json;
    expect(lost).toMatchObject({
      generation: Math.max(...before) + 1,
      done: false,
      shards: { done: 0, telling: 0, behind: DUE_SHARDS, unreachable: 0 },
    });
    await runFanOut();
    for (const ws of told) expect(await known(ws)).not.toContain("v-fan-lost");

    // The next cron run announces the schedule's generation to every shard again.
    advanceTimeTo(Date.now() + MINUTE);
    await quietCron();
    expect(await generations()).toEqual(before.map(() => Math.max(...before) + 1));
    // Taken, not told yet: every shard is telling, from its first workspace.
    expect((await platform("GET", "/v1/catalogue/fan-out")).json).toMatchObject({
      done: false,
      shards: { done: 0, telling: DUE_SHARDS, behind: 0 },
    });
    await runFanOut();
    const progress = (await platform("GET", "/v1/catalogue/fan-out")).json;
    expect(progress).toMatchObject({
      generation: Math.max(...before) + 1,
      done: true,
      shards: { done: DUE_SHARDS, telling: 0, behind: 0, unreachable: 0 },
    });
    expect((progress.byShard as { shard: number }[]).map((s) => s.shard)).toEqual(
      Array.from({ length: DUE_SHARDS }, (_, i) => i),
    );
    for (const ws of told) {
      expect(await known(ws)).toContain("v-fan-lost");
      const alarm = await settledAlarm(ws);
      expect(alarm as number).toBeGreaterThanOrEqual(effectiveAt);
      expect(alarm as number).toBeLessThan(effectiveAt + SWITCH_SPREAD_MS);
    }
    // Once taken, the cron's next announcement starts nothing.
    await quietCron();
    for (const shard of shards()) expect(await shard.fanOut()).toMatchObject({ cursor: null });
  });

  it("a withdrawal is announced too: the quiet workspace's alarm for the switch goes", async () => {
    const effectiveAt = Date.now() + LEAD.withdrawn;
    // The versions the tests before published are still scheduled (each test's clock starts
    // anew), the nearest 20 minutes ahead: a workspace whose alarm rings late enough in the
    // spread keeps that switch's alarm past this version's whole spread (12 + 10 minutes).
    const [ws] = (await quietWorkspaces("fan-wd", 1, true)) as [string];
    const withoutIt = await settledAlarm(ws);
    expect(withoutIt as number).toBeGreaterThan(effectiveAt + SWITCH_SPREAD_MS);
    await draft("v-fan-wd", 3_000);
    expect((await publish("v-fan-wd", effectiveAt)).status).toBe(200);
    await runFanOut();
    const forIt = await settledAlarm(ws);
    expect(forIt as number).toBeGreaterThanOrEqual(effectiveAt);
    expect(forIt as number).toBeLessThan(effectiveAt + SWITCH_SPREAD_MS);

    const withdrawn = await platform("DELETE", "/v1/catalogue/versions/v-fan-wd");
    expect(withdrawn.json).toEqual({ id: "v-fan-wd", deleted: false, withdrawn: true });
    await runFanOut();
    expect(await known(ws)).not.toContain("v-fan-wd");
    expect(await settledAlarm(ws)).toBe(withoutIt);
  });
});
