import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, freshWorkspace, subscribe } from "../support/helpers";
import type { LedgerEntry } from "../support/schemas";

/**
 * examples/ai-feature runs here as its own Worker, configured by its own wrangler.toml, bound to
 * the Worker under test's QuotaService (and, as `AI_FEATURE_DOWN` and `AI_FEATURE_GONE`, to a
 * quota service that cannot answer). Driving it end to end keeps the example true. What must
 * hold: every answer it serves is charged (its commit is in the ledger), and every other request
 * is refused.
 */

async function rewrite(worker: Fetcher, workspace: string, text: string, requestId?: string) {
  const response = await worker.fetch("https://ai-feature.test/rewrite", {
    method: "POST",
    headers: { "content-type": "application/json", ...(requestId && { "request-id": requestId }) },
    body: JSON.stringify({ workspace, text }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the example's answers have several shapes
  return { status: response.status, json: (await response.json()) as any };
}

const credits = async (ws: string) =>
  (await call("GET", `/v1/workspaces/${ws}/credits`, { role: "viewer" })).json;

async function ledger(ws: string): Promise<LedgerEntry[]> {
  const r = await call("GET", `/v1/workspaces/${ws}/credits/ledger?limit=100`, { role: "viewer" });
  expect(r.json.hasMore).toBe(false); // every test here writes fewer than 100 entries
  return r.json.entries;
}

const ledgerKinds = async (ws: string) => (await ledger(ws)).map((e) => `${e.kind} ${e.credits}`);

/** What the ledger charged: the sum of its commits (the example never consumes). */
const charged = async (ws: string) =>
  (await ledger(ws)).filter((e) => e.kind === "commit").reduce((sum, e) => sum + e.credits, 0);

/** The example's key for a request: SHA-256 of what it asks and who asks it (see its source). */
async function requestKey(ws: string, requestId: string, text: string) {
  const bytes = new TextEncoder().encode(JSON.stringify(["ai_rewriter", ws, requestId, text]));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("examples/ai-feature: reserve, call the model, commit or release", () => {
  it("holds the estimate, then charges the actual cost", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const text = "x".repeat(100); // 5 credits at 1 per 20 characters
    const r = await rewrite(env.AI_FEATURE, ws, text);
    expect(r).toEqual({ status: 200, json: { text: "X".repeat(100), credits: 5 } });
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "commit 5"]);
    expect(await credits(ws)).toMatchObject({ used: 5, held: 0 });
  });

  it("releases the hold when the model fails, and charges nothing", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const r = await rewrite(env.AI_FEATURE, ws, "please FAIL");
    expect(r.status).toBe(502);
    expect(r.json.error).toBe("model_failed");
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "release 10"]);
    expect(await credits(ws)).toMatchObject({ used: 0, held: 0 });
  });

  it("refuses without calling the model when the quota says no", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    await call("PUT", `/v1/workspaces/${ws}/credits/feature-limits/ai_rewriter`, {
      body: { limit: 0 },
    });
    const r = await rewrite(env.AI_FEATURE, ws, "hello");
    expect(r.status).toBe(402);
    expect(r.json).toMatchObject({
      allowed: false,
      reason: "feature_limit_reached",
      reservationId: null,
    });
    expect(r.json.text).toBeUndefined();
    expect(await ledgerKinds(ws)).toEqual([]);
  });

  it("answers a caller's mistake (a workspace with no plan) as a 400, not a refusal", async () => {
    const r = await rewrite(env.AI_FEATURE, freshWorkspace("none"), "hello");
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("not_found");
  });
});

describe("examples/ai-feature: every answer served is charged, across reused Request-Ids", () => {
  it("charges each of 25 different texts sent with one Request-Id", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    // Texts of 20, 40, … 500 characters: 1, 2, … 25 credits, 325 in all.
    const texts = Array.from({ length: 25 }, (_, i) => "q".repeat(20 * (i + 1)));
    const served: number[] = [];
    for (const text of texts) {
      const r = await rewrite(env.AI_FEATURE, ws, text, "req-shared");
      expect(r.status, text.length.toString()).toBe(200);
      expect(r.json.text).toBe(text.toUpperCase());
      served.push(r.json.credits);
    }
    expect(served).toEqual(texts.map((_, i) => i + 1));

    const entries = await ledger(ws);
    const holds = entries.filter((e) => e.kind === "hold");
    expect(holds).toHaveLength(25);
    expect(new Set(holds.map((e) => e.reservationId)).size).toBe(25);
    expect(await charged(ws)).toBe(325);
    expect(await credits(ws)).toMatchObject({ used: 325, held: 0 });

    // Sent again, each is a replay of a request already answered: refused, nothing charged.
    for (const text of texts) {
      const r = await rewrite(env.AI_FEATURE, ws, text, "req-shared");
      expect(r.status).toBe(409);
      expect(r.json.error).toBe("already_answered");
      expect(r.json.text).toBeUndefined();
    }
    expect(await ledger(ws)).toHaveLength(50); // 25 holds, 25 commits: no new entry
    expect(await credits(ws)).toMatchObject({ used: 325, held: 0 });
  });

  it("charges a retried request once, and answers the retry 409 instead of serving it free", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const first = await rewrite(env.AI_FEATURE, ws, "y".repeat(40), "req-1");
    const again = await rewrite(env.AI_FEATURE, ws, "y".repeat(40), "req-1");
    expect(first).toEqual({ status: 200, json: { text: "Y".repeat(40), credits: 2 } });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      error: "already_answered",
      message: expect.stringContaining("charged 2 credits"),
    });
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "commit 2"]);
    expect(await credits(ws)).toMatchObject({ used: 2, held: 0 });
  });

  it("serves one of two copies of a request sent at once, and charges it once", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const both = await Promise.all([
      rewrite(env.AI_FEATURE, ws, "z".repeat(60), "req-twice"),
      rewrite(env.AI_FEATURE, ws, "z".repeat(60), "req-twice"),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "commit 3"]);
    expect(await credits(ws)).toMatchObject({ used: 3, held: 0 });
  });

  it("continues a request whose first attempt reserved and then stopped", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const text = "w".repeat(80); // 4 credits
    // The first attempt's reserve landed (same key), then its Worker died before the model.
    const key = await requestKey(ws, "req-crashed", text);
    const held = await call("POST", `/v1/workspaces/${ws}/credits/reservations`, {
      role: "service",
      headers: { "idempotency-key": `${key}:reserve` },
      body: { feature: "ai_rewriter", credits: 10, ttlSeconds: 120 },
    });
    expect(held.json.allowed).toBe(true);

    const r = await rewrite(env.AI_FEATURE, ws, text, "req-crashed");
    expect(r).toEqual({ status: 200, json: { text: "W".repeat(80), credits: 4 } });
    const entries = await ledger(ws);
    expect(entries.map((e) => `${e.kind} ${e.credits}`)).toEqual(["hold 10", "commit 4"]);
    expect(entries[1]?.reservationId).toBe(held.json.reservationId);
  });

  it("refuses a retry of a request whose hold was released, without calling the model", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    expect((await rewrite(env.AI_FEATURE, ws, "FAIL once", "req-failed")).status).toBe(502);
    const retry = await rewrite(env.AI_FEATURE, ws, "FAIL once", "req-failed");
    expect(retry.status).toBe(409);
    expect(retry.json).toMatchObject({
      error: "request_closed",
      message: expect.stringContaining("released"),
    });
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "release 10"]);
  });
});

describe("examples/ai-feature: an answer whose charge did not land is never served", () => {
  it("withholds the answer when the commit is refused (actual cost above the maximum)", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    // 20,000,001 characters cost 1,000,001 credits: above the 1,000,000 a commit may charge.
    const text = "v".repeat(20_000_001);
    const r = await rewrite(env.AI_FEATURE, ws, text, "req-huge");
    expect(r.status).toBe(402);
    expect(r.json).toMatchObject({
      allowed: false,
      reason: "charge_refused",
      message: expect.stringContaining("The charge of 1,000,001 credits was refused"),
      error: { code: "invalid_request" },
    });
    expect(r.json.text).toBeUndefined();
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "release 10"]);
    expect(await credits(ws)).toMatchObject({ used: 0, held: 0 });
  });

  it("fails closed when the quota service cannot answer, whether it errs or throws", async () => {
    for (const [how, worker] of [
      ["errs", env.AI_FEATURE_DOWN],
      ["throws", env.AI_FEATURE_GONE],
    ] as const) {
      const r = await rewrite(worker, freshWorkspace(), "hello");
      expect(r.status, how).toBe(503);
      expect(r.json).toEqual({
        allowed: false,
        reason: "service_unavailable",
        message: expect.stringContaining("Credits could not be checked"),
      });
    }
  });

  it("withholds the answer when the commit's outcome is unknown (the service is unavailable)", async () => {
    const r = await rewrite(env.AI_FEATURE_DOWN, "commit-lost", "hello");
    expect(r.status).toBe(503);
    expect(r.json).toEqual({
      allowed: false,
      reason: "service_unavailable",
      message: expect.stringContaining("The charge could not be confirmed"),
    });
  });
});
