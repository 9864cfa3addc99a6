import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { dueShardFor } from "../../src/dueIndex";
import worker from "../../src/index";
import { BUILT_IN_CATALOGUE } from "../../src/policy/catalogue";
import type { Memory } from "../../src/workspace/memory";
import { SWITCH_SPREAD_MS } from "../../src/workspace/schedule";
import { storedEvents } from "../support/events";
import {
  advanceTimeTo,
  call,
  freezeTime,
  freshWorkspace,
  settledAlarm,
  subscribe,
  token,
} from "../support/helpers";

/**
 * The catalogue's fan-out end to end (docs/catalogue.md, "How every workspace switches"), in
 * real time (Date frozen for the whole isolate): a publish through the Worker tells every
 * workspace of the due index after its answer, each learns the version before it applies and
 * arms its alarm within the spread after the instant, and the alarm alone switches it there.
 */
freezeTime();

const MINUTE = 60_000;

describe("the fan-out through the due index", () => {
  it("a published version reaches every workspace of the due index before it applies", async () => {
    const effectiveAt = Date.now() + 30 * MINUTE;
    const anchor = new Date(Date.now() - 24 * 60 * MINUTE).toISOString();
    const told = [freshWorkspace("fan"), freshWorkspace("fan"), freshWorkspace("fan")];
    for (const ws of told) {
      const sub = await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: anchor });
      expect(sub.status).toBe(200);
      // In the due index (its renewal).
      expect(await settledAlarm(ws)).not.toBeNull();
      expect(await dueShardFor(env, ws).dueAt(ws)).not.toBeNull();
    }
    // Out of the fleet index (their due work reported them): the due index is what reaches them.
    for (const ws of told) {
      await env.FLEET?.prepare("DELETE FROM fleet_workspaces WHERE workspace_id = ?")
        .bind(ws)
        .run();
    }

    const v = structuredClone(BUILT_IN_CATALOGUE);
    v.plans.advanced.aiCreditsPerSeat = 2_000;
    const draft = { plans: v.plans, featureCosts: v.featureCosts };
    expect((await call("PUT", "/v1/catalogue/versions/v-fan", { body: draft })).status).toBe(200);
    // The publish through the Worker, its fan-out (after the answer) awaited.
    const ctx = createExecutionContext();
    const request = new Request<unknown, IncomingRequestCfProperties>(
      "https://quota.test/v1/catalogue/versions/v-fan/publish",
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${await token("*", "platform")}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ effectiveAt: new Date(effectiveAt).toISOString() }),
      },
    );
    const published = await worker.fetch(request, env, ctx);
    expect(published.status).toBe(200);
    await waitOnExecutionContext(ctx);

    for (const ws of told) {
      const stub = env.WORKSPACE.getByName(ws);
      // No call reached the workspace since the publish: the fan-out told it.
      const known = await runInDurableObject(stub, (o) =>
        (o as unknown as { memory: Memory }).memory.schedule.versions.map((x) => x.id),
      );
      expect(known).toContain("v-fan");
      const alarm = await settledAlarm(ws);
      expect(alarm as number).toBeGreaterThan(effectiveAt);
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
});
