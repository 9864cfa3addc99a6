import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Plan } from "../../src/policy/catalogue";
import { type FleetRow, nextReportAt, REPORT_INTERVAL_MS } from "../../src/policy/fleet";
import { Store } from "../../src/storage";
import { FleetReporter } from "../../src/workspace/fleet";
import { answersLost } from "../support/exports";
import { call, freezeTime, freshWorkspace, subscribe } from "../support/helpers";

/**
 * Decisions by reason: every answer sent is counted under its reason (in the object's memory,
 * per hour and plan) and reaches the index with the next report, once.
 */
freezeTime();

const T0 = "2026-08-01T00:00:00.000Z";

describe("decisions by reason", () => {
  it("counts every decision sent under its reason, once, with the next report", async () => {
    await env.FLEET?.exec("DELETE FROM fleet_decisions");
    const ws = freshWorkspace("decide");
    const base = `/v1/workspaces/${ws}`;
    expect((await call("PUT", `${base}/test-clock`, { body: { now: T0 } })).status).toBe(200);
    const sub = await call("PUT", `${base}/subscription`, {
      body: {
        plan: "pro",
        seats: 1,
        periodAnchor: T0,
        overrides: { aiCreditsPerSeat: 100, copilotQuestions: 1, activeAgents: 1 },
      },
    });
    expect(sub.status).toBe(200);
    const spend = (credits: number, path = "consume", key?: string) =>
      call("POST", `${base}/credits/${path}`, {
        role: "service",
        body: { feature: "ai_rewriter", credits },
        headers: key === undefined ? {} : { "idempotency-key": key },
      });
    const sent: Record<string, number> = {};
    const note = (answer: { json: { allowed: boolean; reason?: string } }) => {
      const reason = answer.json.allowed ? "allowed" : (answer.json.reason as string);
      sent[reason] = (sent[reason] ?? 0) + 1;
    };
    note(await spend(60, "consume", "k1"));
    // A retry with the same key replays the answer: not a second decision.
    const replay = await spend(60, "consume", "k1");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    note(await spend(60));
    note(await spend(60, "check"));
    note(await spend(10, "check"));
    expect(
      (
        await call("PUT", `${base}/credits/feature-limits/ai_rewriter`, {
          role: "admin",
          body: { limit: 61 },
        })
      ).status,
    ).toBe(200);
    note(await spend(5));
    for (let i = 0; i < 2; i++) {
      note(await call("POST", `${base}/copilot-questions/consume`, { role: "service" }));
    }
    for (const id of ["a1", "a2"]) {
      note(await call("POST", `${base}/agents`, { role: "admin", body: { id, name: id } }));
      note(await call("POST", `${base}/agents/${id}/activate`, { role: "admin" }));
    }
    // An agent stopped by its cap (docs/budgets.md): counted under its own reason.
    const cap = { role: "admin" as const, body: { limit: 0 } };
    expect((await call("PUT", `${base}/credits/agent-limits/a1`, cap)).status).toBe(200);
    note(
      await call("POST", `${base}/credits/consume`, {
        role: "service",
        body: { feature: "ai_rewriter", credits: 1, agentId: "a1" },
      }),
    );
    expect(sent).toEqual({
      agent_limit_reached: 1,
      allowed: 6,
      insufficient_credits: 2,
      feature_limit_reached: 1,
      question_limit_reached: 1,
      active_agent_limit: 1,
    });
    const stub = env.WORKSPACE.getByName(ws);
    expect(await stub.reportToFleet()).toBe(true);
    // A second report adds nothing: the counts went with the first.
    expect(await stub.reportToFleet()).toBe(true);
    const { status, json } = await call("GET", "/v1/fleet/decisions?plan=pro");
    expect(status).toBe(200);
    expect(json.hours).toHaveLength(24);
    const nonZero = Object.fromEntries(
      Object.entries(json.totals as Record<string, number>).filter(([, n]) => n > 0),
    );
    expect(nonZero).toEqual(sent);
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    expect(json.hours.at(-1)).toEqual({ hour, counts: json.totals });
    // Another plan's view has none of them.
    const enterprise = await call("GET", "/v1/fleet/decisions?plan=enterprise");
    expect(Object.values(enterprise.json.totals).every((n) => n === 0)).toBe(true);
  });

  it("refuses a range longer than the retention, or backwards", async () => {
    const long = await call(
      "GET",
      "/v1/fleet/decisions?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z",
    );
    expect(long.status).toBe(400);
    const backwards = await call(
      "GET",
      "/v1/fleet/decisions?from=2026-03-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    );
    expect(backwards.status).toBe(400);
  });
});

describe("when a workspace reports", () => {
  const idle = { lastReportAt: 1_000_000, retryAt: null, changed: false, standingChanged: false };

  it("not at all without a change; at once on a change of standing; else a minute after the last", () => {
    expect(nextReportAt(idle, 1_000_500)).toBeNull();
    expect(nextReportAt({ ...idle, standingChanged: true }, 1_000_500)).toBe(1_000_500);
    expect(nextReportAt({ ...idle, changed: true }, 1_000_500)).toBe(
      1_000_000 + REPORT_INTERVAL_MS,
    );
    expect(nextReportAt({ ...idle, changed: true }, 9_000_000)).toBe(9_000_000);
    expect(nextReportAt({ ...idle, lastReportAt: null, changed: true }, 5)).toBe(5);
  });

  it("retries a failed report a minute later", () => {
    expect(nextReportAt({ ...idle, retryAt: 2_000_000 }, 1_000_500)).toBe(2_000_000);
  });
});

describe("a counted decision's alarm", () => {
  const store = { rowsWritten: 0, eventsRecorded: 0 } as unknown as Store;
  const source = { standing: () => ({ plan: "pro", seats: 1 }), row: () => null };
  const allowed = { ok: true, value: { allowed: true } } as const;
  const refused = { ok: true, value: { allowed: false, reason: "insufficient_credits" } } as const;

  it("is asked for by the first decision since the last report, where reports go by themselves", () => {
    const automatic = { ...env, FLEET_REPORTS: undefined };
    let wakes = 0;
    const reporter = new FleetReporter(automatic, store, source, async () => {
      wakes++;
    });
    // A check arms no alarm and a spend armed its own before its answer was counted: without a
    // wake, a quiet workspace would keep these counts until its next change.
    reporter.decided(allowed, "pro");
    expect(wakes).toBe(1);
    reporter.decided(refused, "pro");
    reporter.decided({ ...allowed, replayed: true }, "pro");
    expect(wakes).toBe(1);
    expect(reporter.dueAt()).not.toBeNull();
  });

  it("is never asked for where reports are manual (the tests) or there is no index", () => {
    let wakes = 0;
    const wake = async () => {
      wakes++;
    };
    new FleetReporter(env, store, source, wake).decided(allowed, "pro");
    new FleetReporter({ ...env, FLEET: undefined }, store, source, wake).decided(allowed, "pro");
    expect(env.FLEET_REPORTS).toBe("manual");
    expect(wakes).toBe(0);
  });
});

const limit = { used: 0, limit: 10, state: "ok", graceEndsAt: null } as const;
const fleetRowFor = (ws: string): FleetRow => ({
  workspaceId: ws,
  plan: "pro",
  catalogueVersion: null,
  subscribedAt: 0,
  overrides: {},
  seats: 1,
  limits: {
    leads: limit,
    contactsAndCompanies: limit,
    whatsapp: limit,
    instagram: limit,
    agents: limit,
  },
  grandfathered: { whatsapp: 0, instagram: 0 },
  credits: { used: 0, balance: 100, percent: 0 },
  questions: { used: 0, limit: 10 },
  agents: { active: 0, total: 0 },
  webhooks: { pending: 0, oldestAt: null },
});

describe("counts that outlive the object", () => {
  const source = (ws: string) => ({
    standing: () => ({ plan: "pro", seats: 1 }),
    row: () => fleetRowFor(ws),
  });
  const allowed = { ok: true, value: { allowed: true } } as const;
  const refused = { ok: true, value: { allowed: false, reason: "insufficient_credits" } } as const;
  const counted = async (ws: string) =>
    (
      await env.FLEET?.prepare(
        "SELECT reason, count FROM fleet_decisions WHERE plan = ? ORDER BY reason",
      )
        .bind(ws)
        .all()
    )?.results;

  it("survive an eviction once spilled, and a report cut short is sent again and added once", async () => {
    const ws = freshWorkspace("spill");
    await subscribe(ws);
    const stub = env.WORKSPACE.getByName(ws);
    await runInDurableObject(stub, async (_, state) => {
      const store = new Store(state.storage.sql);
      // The plan names the workspace here, so this test's counts are its own in the index.
      const plan = ws as Plan;
      const first = new FleetReporter(env, store, source(ws));
      first.load();
      first.decided(allowed, plan);
      first.decided(refused, plan);
      first.spill();
      first.decided(allowed, plan);
      // Evicted now: the third count was never spilled and is lost with the instance
      // (docs/fleet.md, "Lost counts"); the two spilled ones are in storage.
      const failing = { ...env, FLEET: { batch: () => Promise.reject(new Error("down")) } };
      const second = new FleetReporter(failing as unknown as typeof env, store, source(ws));
      second.load();
      second.decided(refused, plan);
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      expect(await second.report()).toBe(false);
      expect(log).toHaveBeenCalledOnce();
      log.mockRestore();
      // Evicted before a retry; the next instance sends the pending report with its number, and
      // it lands, but its answer is lost: still pending.
      const lossy = answersLost();
      const third = new FleetReporter(lossy, store, source(ws));
      third.load();
      vi.spyOn(console, "error").mockImplementation(() => {});
      expect(await third.report()).toBe(false);
      vi.restoreAllMocks();
      // Sent again by the next instance: the index holds that number already and adds nothing.
      const fourth = new FleetReporter(env, store, source(ws));
      fourth.load();
      expect(await fourth.report()).toBe(true);
      expect(store.getMeta("fleet_pending_report")).toBeUndefined();
    });
    expect(await counted(ws)).toEqual([
      { reason: "allowed", count: 1 },
      { reason: "insufficient_credits", count: 2 },
    ]);
  });
});
