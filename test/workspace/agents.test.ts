import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SubscriptionInput } from "../../src/workspace/subscription";
import { storedEvents } from "../support/events";
import { freshWorkspace } from "../support/helpers";
import { admin, platform } from "../support/roles";

const ANCHOR = "2026-07-15T00:00:00.000Z";

async function setUp(input: SubscriptionInput) {
  const ws = freshWorkspace("agents-do");
  const stub = env.WORKSPACE.getByName(ws);
  await stub.setTestClock(Date.parse("2026-07-20T10:00:00.000Z"));
  const put = await stub.putSubscription(ws, input, platform);
  expect(put.ok).toBe(true);
  return { ws, stub };
}

type Stub = Awaited<ReturnType<typeof setUp>>["stub"];

const events = (stub: Stub) => storedEvents(stub, { ms: true });

/** The stored rows and the counters, to check that the counters never drift from the rows. */
const stored = (stub: Stub) =>
  runInDurableObject(stub, (_, state) => {
    const sql = state.storage.sql;
    const rows = sql
      .exec<{ id: string; state: string }>("SELECT id, state FROM agents ORDER BY rowid")
      .toArray();
    const counters = sql
      .exec<{ active: number; total: number }>("SELECT active, total FROM agent_counters")
      .one();
    return {
      states: Object.fromEntries(rows.map((r) => [r.id, r.state])),
      counters: { active: counters.active, total: counters.total },
      counted: {
        active: rows.filter((r) => r.state === "active").length,
        total: rows.length,
      },
    };
  });

async function createAndActivate(stub: Stub, ids: string[]) {
  for (const id of ids) await stub.createAgent({ id, name: id.toUpperCase() }, admin);
  for (const id of ids) {
    const r = await stub.activateAgent(id, admin);
    expect(r.ok && r.value.allowed).toBe(true);
  }
}

describe("agents in the workspace object", () => {
  it("downgrading pro → advanced with five active leaves the first three, with two events", async () => {
    const { ws, stub } = await setUp({ plan: "pro", seats: 2, periodAnchor: ANCHOR });
    await createAndActivate(stub, ["one", "two", "three", "four", "five"]);
    await stub.setTestClock(Date.parse("2026-07-21T08:00:00.000Z"));
    await stub.putSubscription(ws, { plan: "advanced", seats: 2, periodAnchor: ANCHOR }, platform);

    const after = await stored(stub);
    expect(after.states).toEqual({
      one: "active",
      two: "active",
      three: "active",
      four: "offline",
      five: "offline",
    });
    expect(after.counters).toEqual({ active: 3, total: 5 });
    expect(after.counted).toEqual(after.counters);

    const at = Date.parse("2026-07-21T08:00:00.000Z");
    expect(await events(stub)).toEqual([
      {
        type: "agent.deactivated",
        data: {
          agentId: "five",
          name: "FIVE",
          reason: "limit_lowered",
          plan: "advanced",
          limit: 3,
        },
        occurredAt: at,
      },
      {
        type: "agent.deactivated",
        data: {
          agentId: "four",
          name: "FOUR",
          reason: "limit_lowered",
          plan: "advanced",
          limit: 3,
        },
        occurredAt: at,
      },
    ]);

    // Settling again (the alarm, the cron, another call) changes nothing and announces nothing.
    await stub.runDueWork();
    await stub.putSubscription(ws, { plan: "advanced", seats: 3, periodAnchor: ANCHOR }, platform);
    expect(await events(stub)).toHaveLength(2);
    expect((await stored(stub)).counters).toEqual({ active: 3, total: 5 });
  });

  it("counts 'activated last' by the latest activation, not by creation", async () => {
    const { ws, stub } = await setUp({ plan: "pro", seats: 1, periodAnchor: ANCHOR });
    await createAndActivate(stub, ["a", "b", "c"]);
    // Re-activating "a" makes it the most recently activated.
    await stub.deactivateAgent("a", admin);
    await stub.activateAgent("a", admin);
    await stub.putSubscription(
      ws,
      { plan: "pro", seats: 1, periodAnchor: ANCHOR, overrides: { activeAgents: 2 } },
      platform,
    );
    expect((await stored(stub)).states).toEqual({ a: "offline", b: "active", c: "active" });
    expect((await events(stub)).map((e) => e.data.agentId)).toEqual(["a"]);
  });

  it("turns every agent off when the plan loses the AI agent, and never arms an alarm for it", async () => {
    const { ws, stub } = await setUp({
      plan: "base",
      seats: 1,
      periodAnchor: ANCHOR,
      subscribedAt: "2026-01-10T00:00:00.000Z",
    });
    await createAndActivate(stub, ["only"]);
    await stub.putSubscription(
      ws,
      { plan: "base", seats: 1, periodAnchor: ANCHOR, subscribedAt: "2026-07-01T00:00:00.000Z" },
      platform,
    );
    const after = await stored(stub);
    expect(after.states).toEqual({ only: "offline" });
    expect(after.counters).toEqual({ active: 0, total: 1 });
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
  });

  it("keeps the counters equal to the rows through every operation", async () => {
    const { stub } = await setUp({ plan: "advanced", seats: 1, periodAnchor: ANCHOR });
    await createAndActivate(stub, ["a", "b", "c"]);
    await stub.createAgent({ id: "d", name: "D" }, admin);
    await stub.activateAgent("d", admin); // refused: no change
    await stub.activateAgent("a", admin); // no-op
    await stub.createAgent({ id: "a", name: "a".toUpperCase() }, admin); // retry: no change
    await stub.deleteAgent("b", admin);
    await stub.deactivateAgent("c", admin);
    await stub.deactivateAgent("c", admin); // no-op
    await stub.deleteAgent("c", admin);
    await stub.activateAgent("d", admin);
    const s = await stored(stub);
    expect(s.states).toEqual({ a: "active", d: "active" });
    expect(s.counters).toEqual({ active: 2, total: 2 });
    expect(s.counted).toEqual(s.counters);
  });

  it("rolls back a conflicting create: nothing is written", async () => {
    const { stub } = await setUp({ plan: "advanced", seats: 1, periodAnchor: ANCHOR });
    await stub.createAgent({ id: "a", name: "Sales" }, admin);
    const r = await stub.createAgent({ id: "a", name: "Support" }, admin);
    expect(r).toMatchObject({ ok: false, error: { code: "already_exists" } });
    expect((await stored(stub)).counters).toEqual({ active: 0, total: 1 });
  });
});
