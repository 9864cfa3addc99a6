import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createQuotaClient, type QuotaClientOptions, retryingFetch } from "../../src/client";
import { call, freshWorkspace, subscribe, token } from "../helpers";

/**
 * The typed client against the running Worker (its fetch is the Worker's own): a spend, a
 * retry after a lost answer that charges once, fail-closed when the service is down and
 * fail-open when asked. Every wait (timeouts, backoff) goes through a scheduler the test
 * controls, so nothing waits on a real clock.
 */

const spend = { feature: "ai_rewriter", credits: 25 } as const;

/** Backoff waits end at once and are counted; no timeout ever fires by itself. */
function controlledClock() {
  const waits: number[] = [];
  const schedule = (fn: () => void, ms: number) => {
    waits.push(ms);
    if (ms < 60_000) queueMicrotask(fn);
    return () => undefined;
  };
  return { waits, schedule };
}

/** The service reached through a script: each try does what the next entry says. */
function scriptedFetch(script: ("forward" | "lose-answer" | "503" | "down")[]) {
  const tries: Request[] = [];
  const fetch = async (request: Request) => {
    tries.push(request.clone());
    const step = script[tries.length - 1] ?? "forward";
    if (step === "down") throw new TypeError("Network connection lost.");
    if (step === "503") {
      return new Response(JSON.stringify({ error: { code: "unavailable", message: "busy" } }), {
        status: 503,
        headers: { "content-type": "application/json", "retry-after": "1" },
      });
    }
    const response = await SELF.fetch(request);
    // The service answered, but the answer never reached the caller: as if the try timed out.
    if (step === "lose-answer") throw new DOMException("The try timed out", "TimeoutError");
    return response;
  };
  return { tries, fetch };
}

async function clientFor(ws: string, fetch: QuotaClientOptions["fetch"], extra = {}) {
  const clock = controlledClock();
  const client = createQuotaClient({
    baseUrl: "https://quota.test",
    token: await token(ws, "service"),
    fetch,
    // Timeouts never fire here (the scripted transport answers or fails at once).
    timeoutMs: 60_000,
    random: () => 0.5,
    schedule: clock.schedule,
    ...extra,
  });
  return { client, clock };
}

const used = async (ws: string) =>
  (await call("GET", `/v1/workspaces/${ws}/credits`, { role: "viewer" })).json.used as number;

describe("the typed client against the running Worker", () => {
  it("spends credits and answers the decision, typed", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const { client } = await clientFor(ws, (r) => SELF.fetch(r));
    const decision = await client.consume(ws, spend);
    if (decision.error) throw new Error(decision.error.message);
    expect(decision.allowed).toBe(true);
    if ("used" in decision) expect(decision.used).toBe(25);
    expect(await used(ws)).toBe(25);

    // The generic, typed API for every route goes through the same transport.
    const { data } = await client.api.GET("/v1/workspaces/{ws}/usage", {
      params: { path: { ws } },
    });
    expect(data?.credits.used).toBe(25);
  });

  it("retries a call whose answer was lost under the same key, and charges once", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const transport = scriptedFetch(["lose-answer", "forward"]);
    const { client, clock } = await clientFor(ws, transport.fetch);
    const decision = await client.consume(ws, spend);
    expect(decision).toMatchObject({ allowed: true, used: 25 });
    expect(transport.tries).toHaveLength(2);
    const keys = transport.tries.map((t) => t.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(await used(ws)).toBe(25);
    // One backoff wait, with full jitter: half of the first ceiling (100 ms).
    expect(clock.waits.filter((ms) => ms < 60_000)).toEqual([50]);
  });

  it("retries a 503 after its Retry-After with the caller's own key", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const transport = scriptedFetch(["503", "forward"]);
    const { client, clock } = await clientFor(ws, transport.fetch);
    const decision = await client.consume(ws, spend, { idempotencyKey: "mine-1" });
    expect(decision).toMatchObject({ allowed: true });
    expect(transport.tries.map((t) => t.headers.get("idempotency-key"))).toEqual([
      "mine-1",
      "mine-1",
    ]);
    expect(clock.waits.filter((ms) => ms < 60_000)).toEqual([1_000]);
    // A later retry by the caller with the same key is answered from the ledger.
    expect(await client.consume(ws, spend, { idempotencyKey: "mine-1" })).toEqual(decision);
    expect(await used(ws)).toBe(25);
  });

  it("fails closed when the service is down: every spend is refused, nothing is allowed", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const transport = scriptedFetch(Array(50).fill("down"));
    const { client, clock } = await clientFor(ws, transport.fetch, { maxAttempts: 4 });
    const refused = {
      allowed: false,
      reason: "service_unavailable",
      message: expect.stringContaining("could not be reached"),
    };
    expect(await client.consume(ws, spend)).toEqual(refused);
    expect(transport.tries).toHaveLength(4);
    // Backoff doubles per retry, each wait a jittered share of its ceiling.
    expect(clock.waits.filter((ms) => ms < 60_000)).toEqual([50, 100, 200]);
    expect(await client.reserve(ws, { ...spend, ttlSeconds: 60 })).toEqual({
      ...refused,
      reservationId: null,
    });
    expect(await client.consumeCopilotQuestion(ws)).toEqual(refused);
    expect(await client.check(ws, spend)).toEqual(refused);
    expect(await client.commit(ws, "rsv_x", { credits: 1 })).toEqual({
      error: { code: "unavailable", message: expect.any(String) },
    });
    expect(await used(ws)).toBe(0);
  });

  it("fails open for a check when the call asks, and only when the service cannot answer", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const down = await clientFor(ws, scriptedFetch(Array(10).fill("down")).fetch);
    expect(await down.client.check(ws, spend, { failOpen: true })).toMatchObject({
      allowed: true,
      reason: "service_unavailable",
    });
    // A spend never fails open: there is no such option, and the answer is a refusal.
    expect(await down.client.consume(ws, spend)).toMatchObject({ allowed: false });

    // When the service answers, its decision stands, whatever failOpen says.
    await call("PUT", `/v1/workspaces/${ws}/credits/feature-limits/ai_rewriter`, {
      body: { limit: 0 },
    });
    const up = await clientFor(ws, (r) => SELF.fetch(r));
    expect(await up.client.check(ws, spend, { failOpen: true })).toMatchObject({
      allowed: false,
      reason: "feature_limit_reached",
    });
  });

  it("answers a caller's mistake as the error body, without retrying it", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const transport = scriptedFetch([]);
    const { client } = await clientFor(ws, transport.fetch);
    const answer = await client.consume(ws, { feature: "ai_rewriter", credits: 0 });
    expect(answer).toMatchObject({ error: { code: "invalid_request" } });
    expect(transport.tries).toHaveLength(1);
  });
});

describe("retryingFetch", () => {
  it("gives each try its own timeout, then gives up after the last try", async () => {
    const waits: number[] = [];
    // Every timer fires at once: each try times out as soon as it starts.
    const schedule = (fn: () => void, ms: number) => {
      waits.push(ms);
      fn();
      return () => undefined;
    };
    let tries = 0;
    const hang = (request: Request) =>
      new Promise<Response>((_resolve, reject) => {
        tries++;
        if (request.signal.aborted) reject(request.signal.reason);
        request.signal.addEventListener("abort", () => reject(request.signal.reason));
      });
    const fetch = retryingFetch({
      fetch: hang,
      schedule,
      timeoutMs: 750,
      maxAttempts: 3,
      random: () => 1,
    });
    await expect(
      fetch(new Request("https://quota.test/x", { method: "GET" })),
    ).rejects.toMatchObject({
      name: "ServiceUnreachableError",
      attempts: 3,
    });
    expect(tries).toBe(3);
    expect(waits).toEqual([750, 100, 750, 200, 750]);
  });

  it("sends no key on a read, and one key on every try of a write", async () => {
    const seen: (string | null)[] = [];
    let n = 0;
    const fetch = retryingFetch({
      fetch: async (request) => {
        seen.push(request.headers.get("idempotency-key"));
        return new Response("{}", { status: n++ === 0 ? 503 : 200 });
      },
      schedule: (fn) => {
        fn();
        return () => undefined;
      },
      newKey: () => "made-up",
    });
    await fetch(new Request("https://quota.test/x"));
    await fetch(new Request("https://quota.test/x", { method: "POST", body: "{}" }));
    expect(seen).toEqual([null, null, "made-up"]);
  });
});
