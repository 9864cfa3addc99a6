import { describe, expect, it } from "vitest";
import { AI_FEATURES } from "../../src/policy/catalogue";
import {
  askQuestion,
  check,
  consume,
  countersAndLedger,
  credits,
  expectCountersMatchLedger,
  postPackage,
  setLimit,
  setup,
  usage,
} from "../support/credits";
import { storedEvents } from "../support/events";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";
import type { Schemas } from "../support/schemas";

describe("the seed examples", () => {
  it("Pro × 3 seats = 6,750 credits", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "pro", seats: 3, periodAnchor: "2026-07-15T00:00:00Z" });
    const r = await credits(ws);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      monthlyBalance: 6_750,
      includedPerSeat: 2_250,
      seats: 3,
      includedCredits: 6_750,
      addOnCredits: 0,
      packages: [],
      used: 0,
      held: 0,
      remaining: 6_750,
      percentUsed: 0,
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
    });
    expect((await usage(ws)).json.credits).toEqual({
      used: 0,
      limit: 6_750,
      held: 0,
      remaining: 6_750,
      percentUsed: 0,
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
    });
  });

  it("Advanced + a 5,000 package = 6,250 credits", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "advanced", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const p = await postPackage(ws, {
      id: "pkg-1",
      credits: 5_000,
      expiresAt: "2027-07-15T00:00:00Z",
    });
    expect(p.status).toBe(200);
    expect(p.json).toEqual({
      id: "pkg-1",
      credits: 5_000,
      expiresAt: "2027-07-15T00:00:00.000Z",
      active: true,
      created: true,
      createdAt: "2026-07-20T00:00:00.000Z",
      updatedAt: "2026-07-20T00:00:00.000Z",
      monthlyBalance: 6_250,
      addOnCredits: 5_000,
    });
    const r = await credits(ws);
    expect(r.json).toMatchObject({
      monthlyBalance: 6_250,
      includedCredits: 1_250,
      addOnCredits: 5_000,
      packages: [{ id: "pkg-1", credits: 5_000, expiresAt: "2027-07-15T00:00:00.000Z" }],
      remaining: 6_250,
    });
    expect((await usage(ws)).json.credits.limit).toBe(6_250);
  });

  it("Pro renewing on the 15th with 1,800 used: 450 expire, 2,250 after the renewal", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "pro", seats: 1, periodAnchor: "2026-06-15T00:00:00Z" });
    expect((await consume(ws, "ai_agent", 1_800)).json.allowed).toBe(true);
    const before = await credits(ws);
    expect(before.json).toMatchObject({ used: 1_800, remaining: 450, percentUsed: 80 });
    await setClock(ws, "2026-08-14T23:59:59.999Z");
    expect((await credits(ws)).json.remaining).toBe(450);
    await setClock(ws, "2026-08-15T00:00:00.000Z");
    const after = await credits(ws);
    expect(after.json).toMatchObject({
      periodStart: "2026-08-15T00:00:00.000Z",
      nextResetAt: "2026-09-15T00:00:00.000Z",
      monthlyBalance: 2_250,
      used: 0,
      remaining: 2_250,
    });
    const features = after.json.features as Schemas["FeatureCredits"][];
    expect(features.find((f) => f.feature === "ai_agent")?.creditsUsed).toBe(0);
    expect((await storedEvents(ws)).filter((e) => e.type === "credits.reset")).toEqual([
      {
        type: "credits.reset",
        occurredAt: "2026-08-15T00:00:00.000Z",
        data: {
          periodStart: "2026-08-15T00:00:00.000Z",
          nextResetAt: "2026-09-15T00:00:00.000Z",
          previousPeriodStart: "2026-07-15T00:00:00.000Z",
          previousUsed: 1_800,
          previousBalance: 2_250,
          expired: 450,
        },
      },
    ]);
    // The unused 450 are gone: the new period allows exactly 2,250 and not one more.
    expect((await consume(ws, "ai_agent", 2_251)).json.reason).toBe("insufficient_credits");
    expect((await consume(ws, "ai_agent", 2_250)).json).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });
});

describe("GET credits", () => {
  it("lists every feature of the catalogue with its cap, use and estimated requests", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "advanced", seats: 2, periodAnchor: "2026-07-15T00:00:00Z" });
    await setLimit(ws, "ai_agent", 100);
    await consume(ws, "ai_agent", 12);
    const r = await credits(ws);
    expect(r.json.features).toEqual([
      {
        feature: "ai_rewriter",
        inPlan: true,
        averageCost: 1,
        creditsUsed: 0,
        creditsHeld: 0,
        creditLimit: null,
        creditsRemaining: null,
        estimatedRequests: null,
      },
      expect.objectContaining({ feature: "ai_summarize", averageCost: 2 }),
      expect.objectContaining({ feature: "ai_reply_suggestions", averageCost: 1 }),
      expect.objectContaining({ feature: "ai_task_suggestions", averageCost: 1 }),
      {
        feature: "ai_agent",
        inPlan: true,
        averageCost: 3,
        creditsUsed: 12,
        creditsHeld: 0,
        creditLimit: 100,
        creditsRemaining: 88,
        estimatedRequests: 33,
      },
      expect.objectContaining({ feature: "copilot", averageCost: 2, inPlan: true }),
      expect.objectContaining({ feature: "copilot_analyst", averageCost: 5, inPlan: false }),
    ]);
    expect(r.json.features.map((f: { feature: string }) => f.feature)).toEqual([...AI_FEATURES]);
    expect(r.json.copilotQuestions).toEqual({
      used: 0,
      limit: 150,
      remaining: 150,
      nextResetAt: "2026-08-15T00:00:00.000Z",
    });
  });

  it("is readable by every role and answers 404 before a subscription", async () => {
    const ws = freshWorkspace();
    expect((await credits(ws)).status).toBe(404);
    await setup(ws);
    for (const role of ["viewer", "service", "admin", "platform"] as const) {
      expect((await call("GET", `${api(ws)}/credits`, { role })).status).toBe(200);
    }
  });
});

describe("feature limits", () => {
  it("caps a feature, reserves nothing, stops it at 0 or below its use, and clears with null", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const put = await setLimit(ws, "ai_summarize", 101);
    expect(put.status).toBe(200);
    expect(put.json).toEqual({
      feature: "ai_summarize",
      inPlan: true,
      averageCost: 2,
      creditsUsed: 0,
      creditsHeld: 0,
      creditLimit: 101,
      creditsRemaining: 101,
      estimatedRequests: 50,
    });
    // A cap reserves nothing: another feature may take the whole balance.
    expect((await consume(ws, "ai_rewriter", 2_200)).json.allowed).toBe(true);
    const capped = await consume(ws, "ai_summarize", 51);
    expect(capped.json).toMatchObject({ allowed: false, reason: "insufficient_credits" });
    expect((await consume(ws, "ai_summarize", 50)).json.allowed).toBe(true);
    await postPackage(ws, { id: "more", credits: 1_000, expiresAt: "2027-01-01T00:00:00Z" });

    await setLimit(ws, "ai_summarize", 40); // below the 50 used: stopped
    const stopped = await check(ws, "ai_summarize", 1);
    expect(stopped.json).toMatchObject({
      allowed: false,
      reason: "feature_limit_reached",
      featureLimit: 40,
      featureUsed: 50,
      featureRemaining: -10,
    });
    await setLimit(ws, "ai_rewriter", 0);
    const zero = await check(ws, "ai_rewriter", 1);
    expect(zero.json).toMatchObject({ allowed: false, reason: "feature_limit_reached" });
    expect(zero.json.message).toContain("stopped");
    const cleared = await setLimit(ws, "ai_rewriter", null);
    expect(cleared.json).toMatchObject({ creditLimit: null, estimatedRequests: null });
    expect((await check(ws, "ai_rewriter", 1_000)).json.allowed).toBe(true);
    expect((await check(ws, "ai_rewriter", 1_001)).json.reason).toBe("insufficient_credits");
  });

  it("refuses a spend over the cap with feature_limit_reached and exact figures", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    await setLimit(ws, "copilot", 100);
    expect((await consume(ws, "copilot", 60)).json.allowed).toBe(true);
    const r = await consume(ws, "copilot", 41);
    expect(r.json).toMatchObject({
      allowed: false,
      reason: "feature_limit_reached",
      feature: "copilot",
      credits: 41,
      featureLimit: 100,
      featureUsed: 60,
      featureRemaining: 40,
      remaining: 6_690,
      used: 60,
    });
    expect(r.json.message).toBe(
      "Copilot has reached its limit for this period: it needs 41 credits, and 40 of its 100 credits remain. An admin can raise the limit; usage resets on 2026-08-15 00:00 UTC.",
    );
    expect((await consume(ws, "copilot", 40)).json).toMatchObject({
      allowed: true,
      featureRemaining: 0,
    });
  });

  it("is for admins and the platform only, and validates the feature and the limit", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    expect((await setLimit(ws, "copilot", 5, { role: "platform" })).status).toBe(200);
    for (const role of ["service", "viewer"] as const) {
      expect((await setLimit(ws, "copilot", 5, { role })).status).toBe(403);
    }
    const unknown = await setLimit(ws, "ai_poetry", 5);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details.map((d: { path: string }) => d.path)).toEqual(["feature"]);
    for (const limit of [-1, 1.5, "10", 1_000_000_001]) {
      const bad = await setLimit(ws, "copilot", limit);
      expect(bad.status).toBe(400);
      expect(bad.json.error.details[0].path).toBe("limit");
    }
    const missing = await call("PUT", `${api(ws)}/credits/feature-limits/copilot`, {
      role: "admin",
      body: {},
    });
    expect(missing.status).toBe(400);
    expect(missing.json.error.details[0].path).toBe("limit");
    const features = (await credits(ws)).json.features as Schemas["FeatureCredits"][];
    expect(features.find((f) => f.feature === "copilot")?.creditLimit).toBe(5);
  });
});

describe("check and consume", () => {
  it("check decides like consume without changing anything", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const checked = await check(ws, "ai_rewriter", 25);
    expect(checked.status).toBe(200);
    expect(checked.json).toEqual({
      allowed: true,
      message:
        "AI rewriter may spend 25 credits; 6,750 of 6,750 credits remain until 2026-08-15 00:00 UTC.",
      feature: "ai_rewriter",
      credits: 25,
      monthlyBalance: 6_750,
      used: 0,
      held: 0,
      remaining: 6_750,
      featureLimit: null,
      featureUsed: 0,
      featureHeld: 0,
      featureRemaining: null,
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
      receipt: { seq: 0, at: "2026-07-20T00:00:00.000Z" },
    });
    for (let i = 0; i < 5; i++) await check(ws, "ai_rewriter", 25);
    expect((await credits(ws)).json.used).toBe(0);
    const consumed = await consume(ws, "ai_rewriter", 25);
    expect(consumed.json).toMatchObject({ allowed: true, used: 25, remaining: 6_725 });
    expect(consumed.json.message).toBe(
      "Spent 25 credits on AI rewriter; 6,725 of 6,750 credits remain until 2026-08-15 00:00 UTC.",
    );
    expect((await credits(ws)).json).toMatchObject({ used: 25, remaining: 6_725 });
  });

  it("refuses with insufficient_credits and debits nothing", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    expect((await consume(ws, "ai_summarize", 740)).json.allowed).toBe(true);
    const r = await consume(ws, "ai_summarize", 11);
    expect(r.json).toMatchObject({
      allowed: false,
      reason: "insufficient_credits",
      remaining: 10,
      used: 740,
    });
    expect(r.json.message).toBe(
      "Not enough AI credits: AI summarize needs 11 credits, but only 10 of 750 credits remain this period. Credits renew on 2026-08-15 00:00 UTC; add seats or a credit package for more now.",
    );
    expect((await credits(ws)).json.used).toBe(740);
    expect((await consume(ws, "ai_summarize", 10)).json).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    const ledger = await expectCountersMatchLedger(ws);
    expect(ledger.counters.used).toHaveLength(1);
  });

  it("gates features by plan: analyst mode on pro only, the AI agent not on base unless legacy", async () => {
    const cases = [
      ["pro", "2026-07-15T00:00:00Z", "copilot_analyst", true, undefined],
      ["advanced", "2026-07-15T00:00:00Z", "copilot_analyst", false, "pro"],
      ["enterprise", "2026-07-15T00:00:00Z", "copilot_analyst", false, "pro"],
      ["base", "2026-07-15T00:00:00Z", "ai_agent", false, "advanced"],
      ["base", "2026-05-31T23:59:59Z", "ai_agent", true, undefined],
      ["advanced", "2026-07-15T00:00:00Z", "ai_agent", true, undefined],
      ["base", "2026-07-15T00:00:00Z", "ai_rewriter", true, undefined],
    ] as const;
    for (const [plan, subscribedAt, feature, allowed, upgradeTo] of cases) {
      const ws = freshWorkspace();
      await setup(ws, { plan, seats: 1, periodAnchor: "2026-07-15T00:00:00Z", subscribedAt });
      const r = await consume(ws, feature, 5);
      expect(r.json.allowed, `${plan} ${feature}`).toBe(allowed);
      if (!allowed) {
        expect(r.json).toMatchObject({ reason: "feature_not_in_plan", upgradeTo, used: 0 });
        expect(r.json.message).toContain(`Upgrade to ${upgradeTo}`);
      }
    }
  });

  it("raises the balance at once when seats or packages are added mid-period", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    expect((await consume(ws, "ai_rewriter", 750)).json.remaining).toBe(0);
    expect((await consume(ws, "ai_rewriter", 1)).json.allowed).toBe(false);
    await subscribe(ws, { plan: "base", seats: 2, periodAnchor: "2026-07-15T00:00:00Z" });
    expect((await consume(ws, "ai_rewriter", 1)).json).toMatchObject({
      allowed: true,
      monthlyBalance: 1_500,
      remaining: 749,
    });
    await postPackage(ws, { id: "extra", credits: 1_000, expiresAt: "2026-12-01T00:00:00Z" });
    expect((await check(ws, "ai_rewriter", 1_749)).json).toMatchObject({
      allowed: true,
      monthlyBalance: 2_500,
    });
  });

  it("is for services and the platform, not admins or viewers", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    for (const role of ["admin", "viewer"] as const) {
      expect((await consume(ws, "copilot", 1, { role })).status).toBe(403);
      expect((await check(ws, "copilot", 1, { role })).status).toBe(403);
    }
    expect((await consume(ws, "copilot", 1, { role: "platform" })).json.allowed).toBe(true);
  });

  it("answers 404 for a workspace without a subscription", async () => {
    const ws = freshWorkspace();
    expect((await consume(ws, "copilot", 1)).status).toBe(404);
    expect((await check(ws, "copilot", 1)).status).toBe(404);
  });
});

describe("input bounds", () => {
  const bad: [string, unknown, string][] = [
    ["zero credits", { feature: "copilot", credits: 0 }, "credits"],
    ["negative credits", { feature: "copilot", credits: -5 }, "credits"],
    ["fractional credits", { feature: "copilot", credits: 1.5 }, "credits"],
    ["too many credits", { feature: "copilot", credits: 1_000_001 }, "credits"],
    ["credits as a string", { feature: "copilot", credits: "10" }, "credits"],
    ["missing credits", { feature: "copilot" }, "credits"],
    ["missing feature", { credits: 1 }, "feature"],
    ["unknown feature", { feature: "ai_poetry", credits: 1 }, "feature"],
    ["unknown field", { feature: "copilot", credits: 1, priority: "high" }, "priority"],
  ];

  it.each(bad)(
    "consume with %s is a 400 naming the field, with no state change",
    async (_n, body, path) => {
      const ws = freshWorkspace();
      await setup(ws);
      const before = await countersAndLedger(ws);
      for (const action of ["consume", "check", "reservations"]) {
        const r = await call("POST", `${api(ws)}/credits/${action}`, { role: "service", body });
        expect(r.status, action).toBe(400);
        expect(r.json.error.code).toBe("invalid_request");
        expect(r.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
      }
      expect(await countersAndLedger(ws)).toEqual(before);
      expect((await credits(ws)).json).toMatchObject({ used: 0, held: 0 });
    },
  );

  it("answers a non-JSON content type or a malformed body with 400 and changes nothing", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const text = await call("POST", `${api(ws)}/credits/consume`, {
      role: "service",
      rawBody: JSON.stringify({ feature: "copilot", credits: 5 }),
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(400);
    expect(text.json.error.details[0].path).toBe("Content-Type");
    const broken = await call("POST", `${api(ws)}/credits/consume`, {
      role: "service",
      rawBody: '{"feature": "copilot", ',
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    const empty = await call("POST", `${api(ws)}/credits/consume`, { role: "service" });
    expect(empty.status).toBe(400);
    expect((await credits(ws)).json.used).toBe(0);
    expect((await countersAndLedger(ws)).ledger.used).toEqual([]);
  });

  it("bounds ttlSeconds to 1..3600", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    for (const ttlSeconds of [0, 3_601, 2.5]) {
      const r = await call("POST", `${api(ws)}/credits/reservations`, {
        role: "service",
        body: { feature: "copilot", credits: 1, ttlSeconds },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toBe("ttlSeconds");
    }
    expect((await credits(ws)).json.held).toBe(0);
  });
});

describe("credit packages", () => {
  it("updates a package when its id is posted again", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    await postPackage(ws, { id: "p", credits: 1_000, expiresAt: "2026-12-01T00:00:00Z" });
    await setClock(ws, "2026-07-21T00:00:00Z");
    const again = await postPackage(ws, {
      id: "p",
      credits: 300,
      expiresAt: "2027-01-01T00:00:00Z",
    });
    expect(again.json).toMatchObject({
      created: false,
      createdAt: "2026-07-20T00:00:00.000Z",
      updatedAt: "2026-07-21T00:00:00.000Z",
      credits: 300,
      monthlyBalance: 1_050,
    });
    expect((await credits(ws)).json.packages).toEqual([
      { id: "p", credits: 300, expiresAt: "2027-01-01T00:00:00.000Z" },
    ]);
  });

  it("counts a package while now < expiresAt and does not list it afterwards", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    await postPackage(ws, { id: "a", credits: 500, expiresAt: "2026-07-25T00:00:00Z" });
    await postPackage(ws, { id: "b", credits: 200, expiresAt: "2026-09-01T00:00:00Z" });
    const past = await postPackage(ws, {
      id: "old",
      credits: 900,
      expiresAt: "2026-07-01T00:00:00Z",
    });
    expect(past.json).toMatchObject({ active: false, monthlyBalance: 1_450 });
    expect((await credits(ws)).json).toMatchObject({
      monthlyBalance: 1_450,
      addOnCredits: 700,
      packages: [
        { id: "a", credits: 500, expiresAt: "2026-07-25T00:00:00.000Z" },
        { id: "b", credits: 200, expiresAt: "2026-09-01T00:00:00.000Z" },
      ],
    });
    await setClock(ws, "2026-07-24T23:59:59.999Z");
    expect((await credits(ws)).json.monthlyBalance).toBe(1_450);
    await setClock(ws, "2026-07-25T00:00:00.000Z");
    expect((await credits(ws)).json).toMatchObject({
      monthlyBalance: 950,
      addOnCredits: 200,
      packages: [{ id: "b", credits: 200, expiresAt: "2026-09-01T00:00:00.000Z" }],
    });
  });

  it("is platform-only and validated", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const body = { id: "p", credits: 10, expiresAt: "2027-01-01T00:00:00Z" };
    for (const role of ["admin", "service", "viewer"] as const) {
      expect((await postPackage(ws, body, { role })).status).toBe(403);
    }
    for (const [field, value] of [
      ["credits", 0],
      ["credits", 1_000_001],
      ["credits", 2.5],
      ["expiresAt", "next year"],
      ["id", ""],
      ["id", "has space"],
    ] as const) {
      const r = await postPackage(ws, { ...body, [field]: value });
      expect(r.status, `${field}=${value}`).toBe(400);
      expect(r.json.error.details[0].path).toBe(field);
    }
    expect((await credits(ws)).json.packages).toEqual([]);
    expect((await postPackage(freshWorkspace(), body)).status).toBe(404);
  });

  it("refuses more than 100 active packages with too_many_packages, but allows updates", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    for (let i = 0; i < 100; i++) {
      const r = await postPackage(ws, {
        id: `p${i}`,
        credits: 1,
        expiresAt: "2027-01-01T00:00:00Z",
      });
      expect(r.status).toBe(200);
    }
    const over = await postPackage(ws, {
      id: "p100",
      credits: 1,
      expiresAt: "2027-01-01T00:00:00Z",
    });
    expect(over.status).toBe(409);
    expect(over.json.error.code).toBe("too_many_packages");
    const update = await postPackage(ws, {
      id: "p7",
      credits: 11,
      expiresAt: "2027-01-01T00:00:00Z",
    });
    expect(update.json).toMatchObject({ created: false, addOnCredits: 110 });
    // An expired one may still be recorded: it counts nothing.
    const expired = await postPackage(ws, {
      id: "x",
      credits: 5,
      expiresAt: "2026-01-01T00:00:00Z",
    });
    expect(expired.status).toBe(200);
    expect((await credits(ws)).json.monthlyBalance).toBe(750 + 110);
  });
});

describe("Copilot Kommo questions", () => {
  it("counts questions per period, not scaled by seats, and refuses with question_limit_reached", async () => {
    const ws = freshWorkspace();
    await setup(ws, {
      plan: "advanced",
      seats: 4,
      periodAnchor: "2026-07-15T00:00:00Z",
      overrides: { copilotQuestions: 3 },
    });
    const first = await askQuestion(ws);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      allowed: true,
      message:
        "Question counted: 2 of 3 Copilot Kommo questions remain until 2026-08-15 00:00 UTC.",
      used: 1,
      limit: 3,
      remaining: 2,
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
      receipt: { seq: 1, at: "2026-07-20T00:00:00.000Z" },
    });
    await askQuestion(ws);
    await askQuestion(ws);
    const refused = await askQuestion(ws);
    expect(refused.json).toMatchObject({
      allowed: false,
      reason: "question_limit_reached",
      used: 3,
      remaining: 0,
    });
    expect(refused.json.message).toContain("resets on 2026-08-15 00:00 UTC");
    // Questions are not credits.
    expect((await credits(ws)).json).toMatchObject({ used: 0, copilotQuestions: { used: 3 } });
    expect((await usage(ws)).json.copilotQuestions).toEqual({
      used: 3,
      limit: 3,
      remaining: 0,
      nextResetAt: "2026-08-15T00:00:00.000Z",
    });
    await setClock(ws, "2026-08-15T00:00:00Z");
    expect((await askQuestion(ws)).json).toMatchObject({ allowed: true, used: 1, remaining: 2 });
    await expectCountersMatchLedger(ws);
  });

  it("uses the plan's monthly figure, and null is unlimited", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 9, periodAnchor: "2026-07-15T00:00:00Z" });
    expect((await askQuestion(ws)).json).toMatchObject({ limit: 100, remaining: 99 });
    const unlimited = freshWorkspace();
    await setup(unlimited, {
      plan: "pro",
      seats: 1,
      periodAnchor: "2026-07-15T00:00:00Z",
      overrides: { copilotQuestions: null },
    });
    expect((await askQuestion(unlimited)).json).toMatchObject({
      allowed: true,
      limit: null,
      remaining: null,
      used: 1,
    });
    expect((await askQuestion(ws, { role: "viewer" })).status).toBe(403);
  });
});
