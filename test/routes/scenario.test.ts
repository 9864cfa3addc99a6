import { describe, expect, it } from "vitest";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * A month in the life of one workspace, across every capability, through the public API and a
 * test clock: each capability's events land in one feed, in order, and each limit's figures in
 * GET usage agree with what the calls answered.
 */
const svc = { role: "service" as const };
const adm = { role: "admin" as const };

async function allEvents(ws: string) {
  const events: { type: string; data: Record<string, unknown>; occurredAt: string }[] = [];
  let after = "0";
  for (let page = 0; page < 50; page++) {
    const r = await call("GET", `/v1/workspaces/${ws}/events?after=${after}&limit=3`, {
      role: "viewer",
    });
    expect(r.status).toBe(200);
    events.push(...r.json.events);
    if (!r.json.hasMore) return events;
    after = r.json.nextCursor;
  }
  throw new Error("feed did not end");
}

describe("a month in the life of a workspace", () => {
  it("runs credits, entities, channels and agents side by side with one event feed", async () => {
    const ws = freshWorkspace("life");
    const path = (p: string) => `/v1/workspaces/${ws}${p}`;
    await setClock(ws, "2026-07-15T09:00:00Z");
    const sub = {
      plan: "base",
      seats: 2,
      periodAnchor: "2026-07-15T00:00:00Z",
      subscribedAt: "2026-03-01T00:00:00Z",
      overrides: { leadsPerSeat: 2 },
    };
    expect((await subscribe(ws, sub)).json).toMatchObject({
      legacy: true,
      limits: { leads: 4, includedCredits: 1_500, activeAgents: 1, whatsappNumbers: 2 },
    });

    // Credits: 1,200 of 1,500 is 80 %.
    const spend = await call("POST", path("/credits/consume"), {
      ...svc,
      body: { feature: "ai_agent", credits: 1_200 },
    });
    expect(spend.json).toMatchObject({ allowed: true, remaining: 300 });

    // Leads: the 4th reaches the limit and starts a grace; the 5th, during it, stays active.
    for (const id of ["l1", "l2", "l3", "l4", "l5"]) {
      const r = await call("POST", path("/entities/leads"), { ...svc, body: { id } });
      expect(r.json.status).toBe("active");
    }

    // WhatsApp: the 3rd number on 2 seats is over the limit and starts a grace.
    for (const id of ["wa-1", "wa-2", "wa-3"]) {
      await setClock(ws, `2026-07-15T09:0${id.slice(-1)}:00Z`);
      await call("POST", path("/channels/whatsapp"), { ...svc, body: { id } });
    }

    // Agents: a legacy base plan allows one active agent.
    await call("POST", path("/agents"), { ...adm, body: { id: "a1", name: "Sales" } });
    await call("POST", path("/agents"), { ...adm, body: { id: "a2", name: "Support" } });
    expect((await call("POST", path("/agents/a1/activate"), adm)).json.allowed).toBe(true);
    const refused = await call("POST", path("/agents/a2/activate"), adm);
    expect(refused.json).toMatchObject({ allowed: false, reason: "active_agent_limit" });

    // A day later both graces have ended: leads are enforced (the 5th, beyond the limit, is
    // blocked), the earliest number is disabled.
    await setClock(ws, "2026-07-16T10:00:00Z");
    const usage = (await call("GET", path("/usage"))).json;
    expect(usage.leads).toMatchObject({ used: 4, limit: 4, blocked: 1, state: "enforced" });
    expect(usage.whatsapp).toMatchObject({ used: 2, limit: 2 });
    const numbers = (await call("GET", path("/channels/whatsapp"))).json.channels;
    expect(numbers.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      ["wa-1", "disabled"],
      ["wa-2", "active"],
      ["wa-3", "active"],
    ]);
    const blocked = await call("POST", path("/entities/leads"), { ...svc, body: { id: "l6" } });
    expect(blocked.json).toMatchObject({ status: "blocked", accessible: false });

    // A third seat: the leads limit rises to 6 and the blocked lead is unblocked.
    await subscribe(ws, { ...sub, seats: 3 });
    expect((await call("GET", path("/entities/leads/l6"))).json).toMatchObject({
      status: "active",
      accessible: true,
    });

    // The renewal on the 15th resets the pool.
    await setClock(ws, "2026-08-15T00:00:00Z");
    const credits = (await call("GET", path("/credits"))).json;
    expect(credits).toMatchObject({
      used: 0,
      monthlyBalance: 2_250,
      nextResetAt: "2026-09-15T00:00:00.000Z",
    });

    const events = await allEvents(ws);
    const types = events.map((e) => e.type);
    // Each capability's events, in the order they happened.
    const expected = [
      "credits.threshold",
      "limit.reached", // leads
      "limit.reached", // whatsapp
      "agent.activation_refused",
      "limit.enforced",
      "channel.disabled",
      "limit.enforced",
      "entity.blocked",
      "credits.reset",
    ];
    let at = 0;
    for (const type of types) if (type === expected[at]) at++;
    expect(at, `feed: ${types.join(", ")}`).toBe(expected.length);
    expect(new Set(events.map((e) => (e as unknown as { id: string }).id)).size).toBe(
      events.length,
    );
    expect(events.find((e) => e.type === "credits.threshold")?.data.percent).toBe(80);
    expect(events.filter((e) => e.type === "limit.reached").map((e) => e.data.limit)).toEqual([
      "leads",
      "whatsapp",
    ]);
  });
});
