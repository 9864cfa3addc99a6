import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { dueShardFor } from "../../src/dueIndex";
import { GRACE_MS } from "../../src/policy/episode";
import { eventsIn, storedEvents } from "../support/events";
import {
  advanceTimeTo,
  call,
  freezeTime,
  freshWorkspace,
  settledAlarm,
  subscribe,
} from "../support/helpers";
import { deleteAlarm, runCron } from "./sweep";

freezeTime();

const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);

describe("a real grace end on a workspace left alone", () => {
  it("is enforced by the cron when the alarm was missed, not by a later request", async () => {
    // Real time: a base workspace with one seat connects a second WhatsApp number, which starts
    // a real 24-hour grace; the object reports that deadline to the due index.
    const ws = freshWorkspace("grace");
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: new Date().toISOString() });
    await call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
      role: "service",
      body: { id: "a" },
    });
    const second = await call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
      role: "service",
      body: { id: "b" },
    });
    const graceEndsAt = Date.parse(second.json.grace.endsAt);
    expect(graceEndsAt - Date.now()).toBe(GRACE_MS);
    expect(await settledAlarm(ws)).toBe(graceEndsAt);
    expect(await dueShardFor(env, ws).dueAt(ws)).toBe(graceEndsAt);

    // The alarm is lost, then a day passes with no traffic.
    await deleteAlarm(ws);
    advanceTimeTo(graceEndsAt + 1_000);

    await runCron();

    // Applied and stored by the sweep: read straight from storage, not through a request.
    const stored = await runInDurableObject(stubOf(ws), (_instance, state) => ({
      channels: state.storage.sql
        .exec<{ id: string; status: string }>("SELECT id, status FROM channels ORDER BY seq")
        .toArray(),
      events: eventsIn(state.storage.sql).map((e) => e.type),
    }));
    expect(stored.channels).toEqual([
      { id: "a", status: "disabled" },
      { id: "b", status: "active" },
    ]);
    expect(stored.events).toEqual(["limit.reached", "channel.disabled", "limit.enforced"]);

    // A second and a concurrent sweep change nothing more.
    await Promise.all([runCron(), runCron()]);
    expect(await storedEvents(ws)).toHaveLength(3);
  });
});
