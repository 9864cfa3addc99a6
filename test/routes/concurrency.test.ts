import { describe, expect, it } from "vitest";
import { storedEvents } from "../support/events";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/** Concurrent calls against one workspace through the Worker: limits hold exactly, events once. */
const eventTypes = async (ws: string) => (await storedEvents(ws)).map((e) => e.type);

describe("concurrency", () => {
  it("counts concurrent duplicate and distinct leads exactly, with one limit.reached", async () => {
    const ws = freshWorkspace("conc");
    await setClock(ws, "2026-07-20T00:00:00Z");
    await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00Z",
      overrides: { leadsPerSeat: 60 },
    });
    const calls = [
      ...Array.from({ length: 40 }, () => "same"),
      ...Array.from({ length: 100 }, (_, i) => `lead-${i}`),
    ].map((id) =>
      call("POST", `/v1/workspaces/${ws}/entities/leads`, { role: "service", body: { id } }),
    );
    const answers = await Promise.all(calls);
    expect(answers.every((a) => a.status === 200 && a.json.status === "active")).toBe(true);
    const usage = (await call("GET", `/v1/workspaces/${ws}/usage`)).json;
    expect(usage.leads).toMatchObject({ used: 101, limit: 60, state: "grace" });
    expect((await eventTypes(ws)).filter((t) => t === "limit.reached")).toHaveLength(1);
  });

  it("activates exactly as many agents as the plan allows, and creates at most 500", async () => {
    const ws = freshWorkspace("conc");
    await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const created = await Promise.all(
      Array.from({ length: 520 }, (_, i) =>
        call("POST", `/v1/workspaces/${ws}/agents`, {
          role: "admin",
          body: { id: `agent-${i}`, name: `Agent ${i}` },
        }),
      ),
    );
    expect(created.filter((r) => r.json.allowed)).toHaveLength(500);
    expect(
      created
        .filter((r) => !r.json.allowed)
        .every((r) => r.json.reason === "workspace_agent_limit"),
    ).toBe(true);
    const activations = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call("POST", `/v1/workspaces/${ws}/agents/agent-${i}/activate`, { role: "admin" }),
      ),
    );
    expect(activations.filter((r) => r.json.allowed)).toHaveLength(3);
    expect((await call("GET", `/v1/workspaces/${ws}/usage`)).json.agents).toEqual({
      used: 3,
      limit: 3,
      total: 500,
      totalLimit: 500,
    });
  });

  it("connects every concurrent channel, over the limit after the first, with one grace", async () => {
    const ws = freshWorkspace("conc");
    await setClock(ws, "2026-07-20T00:00:00Z");
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
          role: "service",
          body: { id: `+5511${i}` },
        }),
      ),
    );
    expect(answers.every((a) => a.status === 200 && a.json.status === "active")).toBe(true);
    expect(answers.filter((a) => a.json.overLimit)).toHaveLength(11);
    expect((await call("GET", `/v1/workspaces/${ws}/usage`)).json.whatsapp).toMatchObject({
      used: 12,
      limit: 1,
      state: "grace",
    });
    expect((await eventTypes(ws)).filter((t) => t === "limit.reached")).toHaveLength(1);
  });
});
