import { describe, expect, it } from "vitest";
import {
  checkAs,
  consumeAs,
  createAgents,
  deleteAgent,
  figures,
  postTopup,
  putRule,
  reserveAs,
  setAgentLimit,
} from "../support/budgets";
import {
  commit,
  expectCountersMatchLedger,
  postPackage,
  release,
  setLimit,
  setup,
} from "../support/credits";
import { storedEvents } from "../support/events";
import { api, call, freshWorkspace, setClock } from "../support/helpers";

/** Pro × 1 with `perSeat` credits, on the 15th; the clock frozen on July 20th. */
const small = (ws: string, perSeat: number) =>
  setup(ws, {
    plan: "pro",
    seats: 1,
    periodAnchor: "2026-07-15T00:00:00.000Z",
    overrides: { aiCreditsPerSeat: perSeat },
  });

const ledger = async (ws: string) => {
  const r = await call("GET", `${api(ws)}/credits/ledger?limit=100`, { role: "viewer" });
  expect(r.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: the ledger's entries, as the schema checked them
  return r.json.entries.map((e: any) => ({
    kind: e.kind,
    credits: e.credits,
    agentId: e.agentId,
    // biome-ignore lint/suspicious/noExplicitAny: as above
    sources: e.sources.map((s: any) => `${s.source}:${s.credits}`).join(" "),
  }));
};

describe("agent caps", () => {
  it.each([
    { cap: 100, credits: 1, allowed: 100 },
    { cap: 100, credits: 3, allowed: 33 },
    { cap: 0, credits: 1, allowed: 0 },
  ])(
    "never lets 128 concurrent spends of $credits take an agent past its cap of $cap",
    async ({ cap, credits, allowed }) => {
      const ws = freshWorkspace("agentcap");
      await small(ws, 100_000);
      await createAgents(ws, "bot", "other");
      expect((await setAgentLimit(ws, "bot", cap)).json).toMatchObject({
        agentId: "bot",
        creditLimit: cap,
        creditsUsed: 0,
      });
      const replies = await Promise.all(
        Array.from({ length: 128 }, () => consumeAs(ws, "bot", "ai_rewriter", credits)),
      );
      const ok = replies.filter((r) => r.json.allowed);
      expect(ok.length).toBe(allowed);
      for (const r of replies.filter((x) => !x.json.allowed)) {
        expect(r.json).toMatchObject({
          reason: "agent_limit_reached",
          agentId: "bot",
          agentLimit: cap,
        });
      }
      expect(Math.max(0, ...replies.map((r) => r.json.agentUsed))).toBe(allowed * credits);
      // Another agent, and a spend naming none, are not held back by bot's cap.
      expect((await consumeAs(ws, "other", "ai_rewriter", 50)).json.allowed).toBe(true);
      expect((await consumeAs(ws, undefined, "ai_rewriter", 50)).json.allowed).toBe(true);
      const v = await figures(ws);
      expect(v.agents.bot).toMatchObject({ creditsUsed: allowed * credits, creditLimit: cap });
      expect(v.agents.other).toMatchObject({ creditsUsed: 50, creditLimit: null });
      expect(v.used).toBe(allowed * credits + 100);
    },
  );

  it.each([
    { feature: 50, agent: 30, spend: 40, reason: "agent_limit_reached" },
    { feature: 20, agent: 30, spend: 25, reason: "feature_limit_reached" },
    { feature: 20, agent: 20, spend: 21, reason: "feature_limit_reached" },
    { feature: 50, agent: 50, spend: 50, reason: undefined },
  ])(
    "a feature cap of $feature and an agent cap of $agent: a spend of $spend is $reason",
    async ({ feature, agent, spend, reason }) => {
      const ws = freshWorkspace("bothcaps");
      await small(ws, 10_000);
      await createAgents(ws, "bot");
      await setLimit(ws, "ai_rewriter", feature);
      await setAgentLimit(ws, "bot", agent);
      for (const decide of [checkAs, consumeAs]) {
        const r = await decide(ws, "bot", "ai_rewriter", spend);
        expect(r.status).toBe(200);
        expect(r.json.allowed).toBe(reason === undefined);
        expect(r.json.reason).toBe(reason);
      }
    },
  );

  it("counts reservations against the agent's cap: hold, commit, release", async () => {
    const ws = freshWorkspace("agentrsv");
    await small(ws, 10_000);
    await createAgents(ws, "bot");
    await setAgentLimit(ws, "bot", 30);
    const a = await reserveAs(ws, "bot", "ai_rewriter", 20);
    expect(a.json).toMatchObject({ allowed: true, agentHeld: 20, agentRemaining: 10 });
    const b = await reserveAs(ws, "bot", "ai_rewriter", 15);
    expect(b.json).toMatchObject({ allowed: false, reason: "agent_limit_reached", agentHeld: 20 });
    expect((await release(ws, a.json.reservationId)).status).toBe(200);
    expect((await figures(ws)).agents.bot).toMatchObject({ creditsHeld: 0, creditsUsed: 0 });
    const c = await reserveAs(ws, "bot", "ai_rewriter", 25);
    expect(c.json.allowed).toBe(true);
    // The actual cost is charged to the agent, above its estimate too (an overrun).
    expect((await commit(ws, c.json.reservationId, 28)).status).toBe(200);
    expect((await figures(ws)).agents.bot).toMatchObject({
      creditsHeld: 0,
      creditsUsed: 28,
      creditsRemaining: 2,
    });
    expect((await consumeAs(ws, "bot", "ai_rewriter", 3)).json.reason).toBe("agent_limit_reached");
    expect((await consumeAs(ws, "bot", "ai_rewriter", 2)).json.allowed).toBe(true);
    await expectCountersMatchLedger(ws);
  });

  it("refuses an unknown or deleted agent with a 400 naming agentId; a deleted agent's use stays", async () => {
    const ws = freshWorkspace("agentgone");
    await small(ws, 10_000);
    await createAgents(ws, "bot");
    for (const decide of [checkAs, consumeAs, reserveAs]) {
      const r = await decide(ws, "nobody", "ai_rewriter", 1);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({
        code: "invalid_request",
        details: [{ path: "agentId" }],
      });
    }
    expect((await consumeAs(ws, "bot", "ai_rewriter", 7)).json.allowed).toBe(true);
    expect((await deleteAgent(ws, "bot")).status).toBe(200);
    expect((await consumeAs(ws, "bot", "ai_rewriter", 1)).status).toBe(400);
    expect((await setAgentLimit(ws, "bot", 5)).status).toBe(404);
    const v = await figures(ws);
    expect(v.agents.bot).toMatchObject({ deleted: true, creditsUsed: 7 });
    expect(v.used).toBe(7);
    expect(await ledger(ws)).toEqual([
      { kind: "debit", credits: 7, agentId: "bot", sources: "pool:7" },
    ]);
  });
});

describe("top-ups", () => {
  it("are drawn after the pool, earliest expiry first, across a renewal and an expiry", async () => {
    const ws = freshWorkspace("topup");
    await small(ws, 10);
    // Posted latest expiry first: the order drawn is by expiry, not by arrival.
    expect(
      (await postTopup(ws, { id: "b", credits: 5, expiresAt: "2026-09-30T00:00:00Z" })).json,
    ).toMatchObject({ created: true, remaining: 5 });
    await postTopup(ws, { id: "a", credits: 5, expiresAt: "2026-08-20T00:00:00Z" });
    expect(await figures(ws)).toMatchObject({
      remaining: 20,
      poolRemaining: 10,
      topupRemaining: 10,
    });
    expect((await consumeAs(ws, undefined, "ai_rewriter", 12)).json).toMatchObject({
      allowed: true,
      used: 10,
      poolRemaining: 0,
      topupRemaining: 8,
      remaining: 8,
    });
    await consumeAs(ws, undefined, "ai_rewriter", 1);
    expect((await figures(ws)).topups).toEqual({ a: [3, 0, 2], b: [0, 0, 5] });
    expect((await consumeAs(ws, undefined, "ai_rewriter", 8)).json.reason).toBe(
      "insufficient_credits",
    );
    // The renewal on August 15th refills the pool and leaves the top-ups as they were.
    await setClock(ws, "2026-08-16T00:00:00.000Z");
    expect(await figures(ws)).toMatchObject({ used: 0, remaining: 17, topupRemaining: 7 });
    // The reset reports the pool's figures: the 3 credits top-up a paid were not the pool's.
    const reset = (await storedEvents(ws)).find((e) => e.type === "credits.reset");
    expect(reset?.data).toMatchObject({ previousUsed: 10, previousBalance: 10, expired: 0 });
    await consumeAs(ws, undefined, "ai_rewriter", 11);
    expect((await figures(ws)).topups).toEqual({ a: [4, 0, 1], b: [0, 0, 5] });
    // Top-up a expires on August 20th with a credit left: it stops counting.
    await setClock(ws, "2026-08-21T00:00:00.000Z");
    expect(await figures(ws)).toMatchObject({ remaining: 5, poolRemaining: 0, topupRemaining: 5 });
    await consumeAs(ws, undefined, "ai_rewriter", 2);
    expect((await figures(ws)).topups).toEqual({ b: [2, 0, 3] });
    expect(await ledger(ws)).toEqual([
      { kind: "debit", credits: 12, agentId: null, sources: "pool:10 a:2" },
      { kind: "debit", credits: 1, agentId: null, sources: "a:1" },
      { kind: "debit", credits: 11, agentId: null, sources: "pool:10 a:1" },
      { kind: "debit", credits: 2, agentId: null, sources: "b:2" },
    ]);
    await expectCountersMatchLedger(ws);
  });

  it("gives a release back to its sources, and takes a commit's rest in the same order", async () => {
    const ws = freshWorkspace("topupref");
    await small(ws, 10);
    await postTopup(ws, { id: "a", credits: 10, expiresAt: "2026-08-20T00:00:00Z" });
    await postTopup(ws, { id: "b", credits: 10, expiresAt: "2026-09-20T00:00:00Z" });
    const r1 = await reserveAs(ws, undefined, "ai_rewriter", 14);
    expect(r1.json).toMatchObject({
      allowed: true,
      held: 10,
      poolRemaining: 0,
      topupRemaining: 16,
    });
    expect((await figures(ws)).topups).toEqual({ a: [0, 4, 6], b: [0, 0, 10] });
    await release(ws, r1.json.reservationId);
    expect((await figures(ws)).topups).toEqual({ a: [0, 0, 10], b: [0, 0, 10] });
    expect((await figures(ws)).poolRemaining).toBe(10);
    // A hold from the pool and a: a commit below it charges in draw order and returns a's rest.
    const r2 = await reserveAs(ws, undefined, "ai_rewriter", 14);
    await commit(ws, r2.json.reservationId, 11);
    expect(await figures(ws)).toMatchObject({ used: 10, poolRemaining: 0, topupRemaining: 19 });
    expect((await figures(ws)).topups).toEqual({ a: [1, 0, 9], b: [0, 0, 10] });
    // A hold of 5 from a, committed at 15: the rest comes from a, then b.
    const r3 = await reserveAs(ws, undefined, "ai_rewriter", 5);
    await commit(ws, r3.json.reservationId, 15);
    expect((await figures(ws)).topups).toEqual({ a: [10, 0, 0], b: [6, 0, 4] });
    expect(await ledger(ws)).toEqual([
      { kind: "hold", credits: 14, agentId: null, sources: "pool:10 a:4" },
      { kind: "release", credits: 14, agentId: null, sources: "pool:10 a:4" },
      { kind: "hold", credits: 14, agentId: null, sources: "pool:10 a:4" },
      { kind: "commit", credits: 11, agentId: null, sources: "pool:10 a:1" },
      { kind: "hold", credits: 5, agentId: null, sources: "a:5" },
      { kind: "commit", credits: 15, agentId: null, sources: "a:9 b:6" },
    ]);
    await expectCountersMatchLedger(ws);
  });

  it("are idempotent by id and refuse the same id with other figures", async () => {
    const ws = freshWorkspace("topupid");
    await small(ws, 10);
    const body = { id: "t1", credits: 50, expiresAt: "2026-12-01T00:00:00Z" };
    expect((await postTopup(ws, body)).json.created).toBe(true);
    expect((await postTopup(ws, body)).json).toMatchObject({ created: false, remaining: 50 });
    expect((await postTopup(ws, { ...body, credits: 60 })).status).toBe(409);
    expect((await figures(ws)).topupRemaining).toBe(50);
    // A package still adds to the pool; the top-up is drawn only after it.
    await postPackage(ws, { id: "p", credits: 5, expiresAt: "2027-01-01T00:00:00Z" });
    await consumeAs(ws, undefined, "ai_rewriter", 16);
    expect((await figures(ws)).topups).toEqual({ t1: [1, 0, 49] });
  });
});

const alerts = async (ws: string) =>
  (await storedEvents(ws)).filter((e) => e.type === "credits.alert").map((e) => e.data);

describe("alert rules", () => {
  it("fire exactly once per crossing under 128 concurrent spends, for every scope", async () => {
    const ws = freshWorkspace("alerts");
    await small(ws, 1_000);
    await createAgents(ws, "bot");
    await setAgentLimit(ws, "bot", 400);
    await setLimit(ws, "ai_rewriter", 900);
    const rules = {
      "pool-50": { metric: "percentUsed", threshold: 50, scope: { pool: true } },
      "pool-low": { metric: "remaining", threshold: 100, scope: { pool: true } },
      "rewriter-80": { metric: "percentUsed", threshold: 80, scope: { feature: "ai_rewriter" } },
      "bot-low": { metric: "remaining", threshold: 50, scope: { agentId: "bot" } },
      never: { metric: "percentUsed", threshold: 100, scope: { feature: "copilot" } },
    };
    for (const [id, rule] of Object.entries(rules)) {
      expect((await putRule(ws, id, rule)).json).toMatchObject({
        id,
        crossed: false,
        created: true,
      });
    }
    await Promise.all(
      Array.from({ length: 128 }, (_, i) =>
        consumeAs(ws, i % 2 === 0 ? "bot" : undefined, "ai_rewriter", 10),
      ),
    );
    const fired = await alerts(ws);
    expect(fired.map((a) => a.ruleId).sort()).toEqual([
      "bot-low",
      "pool-50",
      "pool-low",
      "rewriter-80",
    ]);
    expect(fired.find((a) => a.ruleId === "pool-50")).toMatchObject({
      metric: "percentUsed",
      threshold: 50,
      figure: 50,
      scope: { pool: true },
      periodStart: "2026-07-15T00:00:00.000Z",
    });
    const list = await call("GET", `${api(ws)}/credits/alerts`, { role: "viewer" });
    expect(
      list.json.rules.filter((r: { firedThisPeriod: boolean }) => r.firedThisPeriod),
    ).toHaveLength(4);
  });

  it("are re-armed when the figure goes back (a package, a raised cap, a new period)", async () => {
    const ws = freshWorkspace("rearm");
    await small(ws, 1_000);
    await createAgents(ws, "bot");
    await setAgentLimit(ws, "bot", 100);
    await putRule(ws, "pool-60", { metric: "percentUsed", threshold: 60, scope: { pool: true } });
    await putRule(ws, "bot-90", {
      metric: "percentUsed",
      threshold: 90,
      scope: { agentId: "bot" },
    });
    await consumeAs(ws, undefined, "ai_rewriter", 600);
    await consumeAs(ws, undefined, "ai_rewriter", 50);
    expect((await alerts(ws)).map((a) => a.ruleId)).toEqual(["pool-60"]);
    // A package takes the pool back under 60 %: armed again, and the next crossing fires.
    await postPackage(ws, { id: "p", credits: 500, expiresAt: "2027-01-01T00:00:00Z" });
    const rule = await call("GET", `${api(ws)}/credits/alerts/pool-60`, { role: "viewer" });
    expect(rule.json).toMatchObject({ crossed: false, firedThisPeriod: false });
    await consumeAs(ws, undefined, "ai_rewriter", 250);
    expect((await alerts(ws)).map((a) => a.ruleId)).toEqual(["pool-60", "pool-60"]);
    // The agent's rule: crossed, re-armed by a raised cap, crossed again.
    await consumeAs(ws, "bot", "ai_rewriter", 95);
    await setAgentLimit(ws, "bot", 200);
    await consumeAs(ws, "bot", "ai_rewriter", 90);
    // A new period re-arms the pool's rule.
    await setClock(ws, "2026-08-16T00:00:00.000Z");
    await consumeAs(ws, undefined, "ai_rewriter", 1_000);
    expect((await alerts(ws)).map((a) => `${a.ruleId}@${a.periodStart.slice(5, 7)}`)).toEqual([
      "pool-60@07",
      "pool-60@07",
      "bot-90@07",
      "bot-90@07",
      "pool-60@08",
    ]);
  });

  it("are at most 20; replacing one of them is never refused", async () => {
    const ws = freshWorkspace("rules20");
    await small(ws, 1_000);
    const rule = { metric: "remaining", threshold: 10, scope: { pool: true } };
    for (let i = 0; i < 20; i++) expect((await putRule(ws, `r${i}`, rule)).status).toBe(200);
    const over = await putRule(ws, "r20", rule);
    expect(over.status).toBe(409);
    expect(over.json.error.code).toBe("too_many_alert_rules");
    expect((await putRule(ws, "r3", { ...rule, threshold: 20 })).json.created).toBe(false);
    expect((await call("DELETE", `${api(ws)}/credits/alerts/r3`, { role: "admin" })).status).toBe(
      200,
    );
    expect((await putRule(ws, "r20", rule)).status).toBe(200);
    expect(
      (await putRule(ws, "bad", { ...rule, scope: { pool: true, feature: "copilot" } })).status,
    ).toBe(400);
  });
});

describe("a top-up that expires under an open hold", () => {
  it("stops counting; the hold's release gives nothing back to it, and memory agrees", async () => {
    const ws = freshWorkspace("topupexp");
    await small(ws, 10);
    await postTopup(ws, { id: "soon", credits: 20, expiresAt: "2026-07-20T00:30:00Z" });
    await consumeAs(ws, undefined, "ai_rewriter", 10);
    const r = await call("POST", `${api(ws)}/credits/reservations`, {
      role: "service",
      body: { feature: "ai_rewriter", credits: 5, ttlSeconds: 3600 },
    });
    expect(r.json).toMatchObject({ allowed: true, topupRemaining: 15 });
    await setClock(ws, "2026-07-20T00:40:00.000Z");
    expect(await figures(ws)).toMatchObject({ remaining: 0, topupRemaining: 0 });
    expect((await release(ws, r.json.reservationId)).status).toBe(200);
    expect(await figures(ws)).toMatchObject({ remaining: 0, topups: {} });
    expect((await consumeAs(ws, undefined, "ai_rewriter", 1)).json.reason).toBe(
      "insufficient_credits",
    );
  });
});
