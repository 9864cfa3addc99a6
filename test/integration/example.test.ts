import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, freshWorkspace, subscribe } from "../helpers";

/**
 * examples/ai-feature runs here as its own Worker, configured by its own wrangler.toml, bound to
 * the Worker under test's QuotaService (and, as `AI_FEATURE_DOWN` and `AI_FEATURE_GONE`, to a
 * quota service that cannot answer). Driving it end to end keeps the example true.
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

async function ledgerKinds(ws: string) {
  const r = await call("GET", `/v1/workspaces/${ws}/credits/ledger`, { role: "viewer" });
  return r.json.entries.map((e: { kind: string; credits: number }) => `${e.kind} ${e.credits}`);
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

  it("charges a retried request once: the same Request-Id reuses its keys", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const first = await rewrite(env.AI_FEATURE, ws, "y".repeat(40), "req-1");
    const again = await rewrite(env.AI_FEATURE, ws, "y".repeat(40), "req-1");
    expect(first).toEqual({ status: 200, json: { text: "Y".repeat(40), credits: 2 } });
    expect(again).toEqual(first);
    expect(await ledgerKinds(ws)).toEqual(["hold 10", "commit 2"]);
  });

  it("answers a caller's mistake (a workspace with no plan) as a 400, not a refusal", async () => {
    const r = await rewrite(env.AI_FEATURE, freshWorkspace("none"), "hello");
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("not_found");
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
});
