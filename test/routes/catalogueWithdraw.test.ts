import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { remove } from "../../src/fleet/catalogue";
import { BUILT_IN_CATALOGUE } from "../../src/policy/catalogue";
import { SWITCH_SPREAD_MS, spreadAfter } from "../../src/workspace/schedule";
import {
  advanceTimeTo,
  api,
  call,
  freezeTime,
  freshWorkspace,
  platformWith,
  subscribe,
} from "../support/helpers";

/**
 * A scheduled version can be withdrawn until the instant it applies (docs/catalogue.md,
 * "Withdrawing"), in real time: Date is frozen for the whole isolate (the Worker, the catalogue
 * routes and the objects read it), so the publish lead, the withdrawal and the switch are all
 * on one clock the test moves. Workspaces that learned the version keep the old numbers after
 * the instant, with and without traffic, and without any fan-out telling them of the withdrawal.
 */
freezeTime();

const MINUTE = 60_000;

/** Advanced with 1,000 leads a seat instead of 5,000 and 2,000 credits a seat instead of 1,250. */
const smaller = (() => {
  const v = structuredClone(BUILT_IN_CATALOGUE);
  v.plans.advanced.leadsPerSeat = 1_000;
  v.plans.advanced.aiCreditsPerSeat = 2_000;
  return { plans: v.plans, featureCosts: v.featureCosts };
})();

async function advancedWith1200Leads(ws: string) {
  const anchor = new Date(Date.now() - 24 * 60 * MINUTE).toISOString();
  expect((await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: anchor })).status).toBe(
    200,
  );
  for (const start of [0, 600]) {
    const ids = Array.from({ length: 600 }, (_, i) => `lead-${start + i}`);
    expect((await call("POST", `${api(ws)}/entities/leads/batch`, { body: { ids } })).status).toBe(
      200,
    );
  }
}

const standing = async (ws: string) => {
  const sub = (await call("GET", `${api(ws)}/subscription`, { role: "viewer" })).json;
  const usage = (await call("GET", `${api(ws)}/usage`, { role: "viewer" })).json;
  const events = (await call("GET", `${api(ws)}/events`, { role: "admin" })).json.events as {
    type: string;
  }[];
  return {
    version: sub.catalogueVersion,
    leads: sub.limits.leads,
    credits: sub.limits.includedCredits,
    leadsState: usage.leads.state,
    changed: events.filter((e) => e.type === "limits.changed").length,
  };
};

/**
 * A call through the Worker with the fan-out off: no workspace is told of a publish or a
 * withdrawal (the test tells them itself, or not at all).
 */
const untold = (method: string, path: string, body?: unknown) =>
  platformWith({ CATALOGUE_FAN_OUT: "off" }, method, path, body);

const OLD = { version: "2026-06", leads: 5_000, credits: 1_250, leadsState: "ok", changed: 0 };

/** A workspace id whose alarm for a switch at `at` rings less than 5 minutes after it. */
function earlyWaker(prefix: string, at: number): string {
  for (;;) {
    const ws = freshWorkspace(prefix);
    if ((spreadAfter(at, ws) as number) - at < 5 * MINUTE) return ws;
  }
}

describe("withdrawing a scheduled version", () => {
  it("a minute before the instant: every workspace that learned it keeps the old numbers", async () => {
    const effectiveAt = Date.now() + 20 * MINUTE;
    const busy = freshWorkspace("wd-busy");
    const quiet = earlyWaker("wd-quiet", effectiveAt);
    for (const ws of [busy, quiet]) await advancedWith1200Leads(ws);
    expect((await call("PUT", "/v1/catalogue/versions/v-wd", { body: smaller })).status).toBe(200);
    const published = await untold("POST", "/v1/catalogue/versions/v-wd/publish", {
      effectiveAt: new Date(effectiveAt).toISOString(),
    });
    expect(published.json.status).toBe("scheduled");

    // Two minutes before: the busy workspace decides (its schedule lapsed: it reads it again,
    // the version included), the quiet one hears of it from the fan-out (delivered here by hand) and arms its alarm.
    advanceTimeTo(effectiveAt - 2 * MINUTE);
    const check = () =>
      call("POST", `${api(busy)}/credits/check`, {
        role: "service",
        body: { feature: "copilot", credits: 1 },
      });
    expect((await check()).json.monthlyBalance).toBe(1_250);
    await env.WORKSPACE.getByName(quiet).learnCatalogue();
    for (const ws of [busy, quiet]) {
      const known = await runInDurableObject(env.WORKSPACE.getByName(ws), (o) =>
        (
          o as unknown as { memory: { schedule: { versions: { id: string }[] } } }
        ).memory.schedule.versions.map((v) => v.id),
      );
      expect(known).toContain("v-wd");
    }

    // A minute before: withdrawn (a 409 when a withdrawal needed the 10-minute lead), and no
    // workspace is told: what follows holds with the withdrawal's fan-out lost.
    advanceTimeTo(effectiveAt - MINUTE);
    const withdrawn = await untold("DELETE", "/v1/catalogue/versions/v-wd");
    expect([withdrawn.status, withdrawn.json]).toEqual([
      200,
      { id: "v-wd", deleted: false, withdrawn: true },
    ]);

    // At the instant and after: the busy workspace's next decisions, old numbers.
    advanceTimeTo(effectiveAt);
    expect((await check()).json.monthlyBalance).toBe(1_250);
    const consumed = await call("POST", `${api(busy)}/credits/consume`, {
      role: "service",
      body: { feature: "copilot", credits: 1 },
    });
    expect([consumed.status, consumed.json.monthlyBalance]).toEqual([200, 1_250]);
    expect(await standing(busy)).toEqual(OLD);

    // The quiet one: its alarm rings after the instant, applies nothing.
    const alarm = await runInDurableObject(env.WORKSPACE.getByName(quiet), (_o, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeGreaterThanOrEqual(effectiveAt);
    expect(alarm as number).toBeLessThan(effectiveAt + SWITCH_SPREAD_MS);
    advanceTimeTo(alarm as number);
    expect(await runDurableObjectAlarm(env.WORKSPACE.getByName(quiet))).toBe(true);
    const events = await runInDurableObject(env.WORKSPACE.getByName(quiet), (_o, state) =>
      state.storage.sql
        .exec<{ type: string }>("SELECT type FROM events WHERE type = 'limits.changed'")
        .toArray(),
    );
    expect(events).toEqual([]);
    expect(await standing(quiet)).toEqual(OLD);

    const listed = await call("GET", "/v1/catalogue");
    const status = listed.json.versions.find((v: { id: string }) => v.id === "v-wd")?.status;
    expect([status, listed.json.inForce]).toEqual(["withdrawn", "2026-06"]);
  });

  it("once in force it is a 409, and a withdrawal racing the instant does not land", async () => {
    const effectiveAt = Date.now() + 15 * MINUTE;
    expect((await call("PUT", "/v1/catalogue/versions/v-race", { body: smaller })).status).toBe(
      200,
    );
    const at = new Date(effectiveAt).toISOString();
    expect(
      (await call("POST", "/v1/catalogue/versions/v-race/publish", { body: { effectiveAt: at } }))
        .status,
    ).toBe(200);
    // Found scheduled one millisecond before the instant, written at it: refused, not withdrawn.
    const clock = [effectiveAt - 1, effectiveAt];
    const raced = remove(env.FLEET as D1Database, "v-race", () => clock.shift() ?? effectiveAt);
    await expect(raced).rejects.toMatchObject({ code: "version_locked" });
    const row = await env.FLEET?.prepare(
      "SELECT withdrawn_at FROM catalogue_versions WHERE id = 'v-race'",
    ).first<{ withdrawn_at: number | null }>();
    expect(row?.withdrawn_at).toBeNull();

    advanceTimeTo(effectiveAt);
    const late = await call("DELETE", "/v1/catalogue/versions/v-race");
    expect([late.status, late.json.error.code]).toEqual([409, "version_locked"]);
  });
});
