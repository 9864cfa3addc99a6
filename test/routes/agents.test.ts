import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { storedEvents } from "../support/events";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

const ANCHOR = "2026-07-15T00:00:00.000Z";
const LEGACY = "2026-03-01T00:00:00.000Z";

const base = (ws: string) => `/v1/workspaces/${ws}/agents`;
const create = (
  ws: string,
  id: string,
  name = `Agent ${id}`,
  role: "admin" | "platform" = "admin",
) => call("POST", base(ws), { role, body: { id, name } });
const activate = (ws: string, id: string, headers: Record<string, string> = {}) =>
  call("POST", `${base(ws)}/${encodeURIComponent(id)}/activate`, { role: "admin", headers });
const deactivate = (ws: string, id: string) =>
  call("POST", `${base(ws)}/${encodeURIComponent(id)}/deactivate`, { role: "admin" });
const list = (ws: string) => call("GET", base(ws), { role: "viewer" });
const states = async (ws: string) =>
  Object.fromEntries(
    (await list(ws)).json.agents.map((a: { id: string; state: string }) => [a.id, a.state]),
  );

async function workspace(plan: string, subscribedAt?: string, seats = 2) {
  const ws = freshWorkspace("agents");
  await setClock(ws, "2026-07-20T10:00:00.000Z");
  const r = await subscribe(ws, {
    plan,
    seats,
    periodAnchor: ANCHOR,
    ...(subscribedAt ? { subscribedAt } : {}),
  });
  expect(r.status).toBe(200);
  return ws;
}

// docs/rules.md, "AI agents"
describe("AI agents", () => {
  it("runs the seed example: advanced, six created, three active, the fourth refused, one swapped", async () => {
    const ws = await workspace("advanced");
    for (const id of ["sales-ig", "support-wa", "spanish", "holiday", "launch", "b2b"]) {
      const r = await create(ws, id);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ allowed: true, changed: true, agent: { id, state: "draft" } });
    }
    for (const id of ["sales-ig", "support-wa", "holiday"]) {
      expect((await activate(ws, id)).json.allowed).toBe(true);
    }
    const refused = await activate(ws, "launch");
    expect(refused.status).toBe(200);
    expect(refused.json).toEqual({
      allowed: false,
      reason: "active_agent_limit",
      message:
        "The active AI agent limit is reached: 3 of 3 active on the Advanced plan. Deactivate an active agent to free a slot, or upgrade to Pro (up to 50 active agents).",
      changed: false,
      agent: expect.objectContaining({ id: "launch", state: "draft", activatedAt: null }),
      active: 3,
      limit: 3,
      total: 6,
      totalLimit: 500,
      upgradeTo: "pro",
    });

    // Turning off the holiday campaign frees its slot at once for the product launch.
    const off = await deactivate(ws, "holiday");
    expect(off.json).toMatchObject({
      allowed: true,
      changed: true,
      active: 2,
      agent: { id: "holiday", state: "offline", offlineReason: "deactivated", activatedAt: null },
    });
    const on = await activate(ws, "launch");
    expect(on.json).toMatchObject({
      allowed: true,
      changed: true,
      active: 3,
      limit: 3,
      agent: { id: "launch", state: "active", activatedAt: "2026-07-20T10:00:00.000Z" },
    });
    expect(on.json.reason).toBeUndefined();

    expect(await states(ws)).toEqual({
      "sales-ig": "active",
      "support-wa": "active",
      spanish: "draft",
      holiday: "offline",
      launch: "active",
      b2b: "draft",
    });
    const usage = await call("GET", `/v1/workspaces/${ws}/usage`, { role: "viewer" });
    expect(usage.json.agents).toEqual({ used: 3, limit: 3, total: 6, totalLimit: 500 });
  });

  it("records a refused activation as agent.activation_refused", async () => {
    const ws = await workspace("advanced");
    for (const id of ["a", "b", "c", "d"]) await create(ws, id);
    for (const id of ["a", "b", "c", "d"]) await activate(ws, id);
    await activate(ws, "d");
    const events = await storedEvents(ws, { ms: true });
    expect(events.map((e) => e.type)).toEqual([
      "agent.activation_refused",
      "agent.activation_refused",
    ]);
    expect(events[0]?.data).toEqual({
      agentId: "d",
      name: "Agent d",
      reason: "active_agent_limit",
      plan: "advanced",
      active: 3,
      limit: 3,
      upgradeTo: "pro",
    });
    expect(events[0]?.occurredAt).toBe(Date.parse("2026-07-20T10:00:00.000Z"));
  });

  it("allows the 500th agent and refuses the 501st with workspace_agent_limit", async () => {
    const ws = await workspace("pro");
    const stub = env.WORKSPACE.getByName(ws);
    const meta = { role: "admin" as const };
    for (let i = 1; i <= 499; i++) {
      const r = await stub.createAgent({ id: `agent-${i}`, name: `Agent ${i}` }, meta);
      expect(r.ok).toBe(true);
    }
    const last = await create(ws, "agent-500");
    expect(last.json).toMatchObject({ allowed: true, changed: true, total: 500, totalLimit: 500 });
    const over = await create(ws, "agent-501");
    expect(over.status).toBe(200);
    expect(over.json).toEqual({
      allowed: false,
      reason: "workspace_agent_limit",
      message:
        "This workspace already holds 500 of 500 AI agents, the most a workspace may have in all states together. Delete an agent you no longer need to create another.",
      changed: false,
      agent: null,
      active: 0,
      limit: 50,
      total: 500,
      totalLimit: 500,
    });
    const listed = await list(ws);
    expect(listed.json.agents).toHaveLength(500);
    expect(listed.json.agents[0].id).toBe("agent-1");
    expect(listed.json.agents[499].id).toBe("agent-500");

    // Deleting one makes room for exactly one more.
    expect((await call("DELETE", `${base(ws)}/agent-7`, { role: "admin" })).json.total).toBe(499);
    expect((await create(ws, "agent-501")).json.allowed).toBe(true);
    expect((await create(ws, "agent-502")).json.allowed).toBe(false);
  });

  it("refuses base subscribed after the cut-over with feature_not_in_plan", async () => {
    const ws = await workspace("base");
    await create(ws, "first");
    const r = await activate(ws, "first");
    expect(r.json).toMatchObject({
      allowed: false,
      reason: "feature_not_in_plan",
      active: 0,
      limit: 0,
      upgradeTo: "advanced",
      agent: { state: "draft" },
    });
    expect(r.json.message).toBe(
      "AI agents are not included in this workspace's Base plan (0 of 0 active). To activate one, upgrade to Advanced (up to 3 active agents).",
    );
  });

  it("allows legacy base one active agent and refuses a second with active_agent_limit", async () => {
    const ws = await workspace("base", LEGACY);
    await create(ws, "first");
    await create(ws, "second");
    expect((await activate(ws, "first")).json).toMatchObject({
      allowed: true,
      active: 1,
      limit: 1,
    });
    const second = await activate(ws, "second");
    expect(second.json).toMatchObject({
      allowed: false,
      reason: "active_agent_limit",
      active: 1,
      limit: 1,
      upgradeTo: "advanced",
    });
    expect(second.json.message).toContain("1 of 1 active on the Base plan");
  });

  it("answers activating an active agent as an allowed no-op, and leaves drafts alone on deactivate", async () => {
    const ws = await workspace("advanced");
    await create(ws, "a");
    const first = await activate(ws, "a");
    const again = await activate(ws, "a");
    expect(again.json).toMatchObject({ allowed: true, changed: false, active: 1 });
    expect(again.json.agent).toEqual(first.json.agent);
    await create(ws, "draft");
    const d = await deactivate(ws, "draft");
    expect(d.json).toMatchObject({ allowed: true, changed: false, agent: { state: "draft" } });
    await deactivate(ws, "a");
    const twice = await deactivate(ws, "a");
    expect(twice.json).toMatchObject({ changed: false, active: 0, agent: { state: "offline" } });
  });

  it("frees the active slot and the total place when an active agent is deleted", async () => {
    const ws = await workspace("advanced");
    for (const id of ["a", "b", "c", "d"]) await create(ws, id);
    for (const id of ["a", "b", "c"]) await activate(ws, id);
    const del = await call("DELETE", `${base(ws)}/b`, { role: "admin" });
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({
      deleted: true,
      agent: { id: "b", state: "active" },
      active: 2,
      total: 3,
    });
    expect((await activate(ws, "d")).json.allowed).toBe(true);
    expect((await call("DELETE", `${base(ws)}/b`, { role: "admin" })).status).toBe(404);
    expect(await states(ws)).toEqual({ a: "active", c: "active", d: "active" });
  });

  it("answers a repeated create with the same name as allowed and unchanged, another name as 409", async () => {
    const ws = await workspace("advanced");
    await create(ws, "a", "Sales");
    await activate(ws, "a");
    const same = await create(ws, "a", "Sales");
    expect(same.status).toBe(200);
    expect(same.json).toMatchObject({
      allowed: true,
      changed: false,
      agent: { id: "a", state: "active" },
      total: 1,
    });
    const other = await create(ws, "a", "Support");
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe("already_exists");
    expect((await list(ws)).json.agents.map((a: { name: string }) => a.name)).toEqual(["Sales"]);
  });

  it("answers 404 for an unknown agent and for a workspace without subscription", async () => {
    const ws = await workspace("advanced");
    for (const r of [
      await activate(ws, "ghost"),
      await deactivate(ws, "ghost"),
      await call("DELETE", `${base(ws)}/ghost`, { role: "admin" }),
    ]) {
      expect(r.status).toBe(404);
      expect(r.json.error).toEqual({
        code: "not_found",
        message: 'No AI agent with id "ghost".',
        requestId: r.headers.get("x-request-id"),
      });
    }
    const none = freshWorkspace();
    expect((await create(none, "a")).status).toBe(404);
    expect((await list(none)).status).toBe(404);
  });

  it("lets admins and the platform write, everyone read", async () => {
    const ws = await workspace("advanced");
    for (const role of ["service", "viewer"] as const) {
      expect((await call("POST", base(ws), { role, body: { id: "x", name: "X" } })).status).toBe(
        403,
      );
      expect((await call("POST", `${base(ws)}/x/activate`, { role })).status).toBe(403);
      expect((await call("DELETE", `${base(ws)}/x`, { role })).status).toBe(403);
    }
    expect((await create(ws, "x", "X", "platform")).json.allowed).toBe(true);
    for (const role of ["platform", "admin", "service", "viewer"] as const) {
      const r = await call("GET", base(ws), { role });
      expect(r.status).toBe(200);
      expect(r.json.agents.map((a: { id: string }) => a.id)).toEqual(["x"]);
    }
  });

  it("validates the body and changes nothing on bad input", async () => {
    const ws = await workspace("advanced");
    const bad = await call("POST", base(ws), {
      role: "admin",
      body: { id: "has space", name: "x".repeat(201), extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "extra",
      "id",
      "name",
    ]);
    const blank = await call("POST", base(ws), { role: "admin", body: { id: "a", name: "  " } });
    expect(blank.status).toBe(400);
    expect(blank.json.error.details[0].path).toBe("name");
    const missing = await call("POST", base(ws), { role: "admin", body: {} });
    expect(missing.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "id",
      "name",
    ]);
    expect((await create(ws, "n", "x".repeat(200))).json.allowed).toBe(true);
    expect((await list(ws)).json.total).toBe(1);
  });

  it("addresses ids with reserved characters when URL-encoded", async () => {
    const ws = await workspace("advanced");
    await create(ws, "sales/es?x#1");
    const r = await activate(ws, "sales/es?x#1");
    expect(r.status).toBe(200);
    expect(r.json.agent).toMatchObject({ id: "sales/es?x#1", state: "active" });
  });

  it("replays an activation by its Idempotency-Key without a second change or event", async () => {
    const ws = await workspace("advanced");
    await create(ws, "a");
    const headers = { "idempotency-key": "activate-a" };
    const first = await activate(ws, "a", headers);
    await deactivate(ws, "a");
    const replay = await activate(ws, "a", headers);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await states(ws)).toEqual({ a: "offline" });
  });

  it("turns off the last activated agents when the platform lowers the limit", async () => {
    const ws = await workspace("pro");
    for (const id of ["a", "b", "c", "d", "e"]) await create(ws, id);
    for (const id of ["c", "a", "e", "b", "d"]) await activate(ws, id);
    const put = await subscribe(ws, { plan: "advanced", seats: 2, periodAnchor: ANCHOR });
    expect(put.json.limits.activeAgents).toBe(3);
    expect(await states(ws)).toEqual({
      a: "active",
      b: "offline",
      c: "active",
      d: "offline",
      e: "active",
    });
    const agents = (await list(ws)).json;
    expect(agents).toMatchObject({ active: 3, limit: 3, total: 5 });
    expect(agents.agents.find((a: { id: string }) => a.id === "d").offlineReason).toBe(
      "limit_lowered",
    );
    // An override to 1 keeps only the first activated; raising it again turns nothing back on.
    await subscribe(ws, {
      plan: "advanced",
      seats: 2,
      periodAnchor: ANCHOR,
      overrides: { activeAgents: 1 },
    });
    expect(await states(ws)).toMatchObject({ a: "offline", c: "active", e: "offline" });
    await subscribe(ws, { plan: "pro", seats: 2, periodAnchor: ANCHOR });
    expect((await list(ws)).json).toMatchObject({ active: 1, limit: 50 });
  });
});
