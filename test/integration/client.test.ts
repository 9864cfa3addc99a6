import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  type CallOptions,
  createQuotaClient,
  isOutcomeUnknown,
  type QuotaClient,
  retryingFetch,
} from "../../src/client";
import { call, freshWorkspace, subscribe, token } from "../helpers";

/**
 * The typed client against the running Worker (its fetch is the Worker's own): a spend, a
 * retry after a lost answer that charges once, fail-closed when the service is down and
 * fail-open when asked, and an unknown outcome (with its key) when tries reached the service
 * but no answer came back. Every wait (timeouts, backoff) goes through a scheduler the test
 * controls, so nothing waits on a real clock.
 */

const spend = { feature: "ai_rewriter", credits: 25 } as const;
const TIMEOUT_MS = 60_000;

/**
 * Backoff waits end at once and are counted; a try's timeout rings only when the transport
 * says time has passed (`ringTimeouts`), so a try times out exactly where a test puts it.
 */
function controlledClock() {
  const waits: number[] = [];
  const timeouts = new Set<() => void>();
  const schedule = (fn: () => void, ms: number) => {
    waits.push(ms);
    if (ms !== TIMEOUT_MS) {
      queueMicrotask(fn);
      return () => undefined;
    }
    timeouts.add(fn);
    return () => timeouts.delete(fn);
  };
  const ringTimeouts = () => {
    for (const fn of [...timeouts]) {
      timeouts.delete(fn);
      fn();
    }
  };
  return { waits, schedule, ringTimeouts };
}

type Clock = ReturnType<typeof controlledClock>;

/** What Node's fetch throws when nothing listens on the port: the request was never sent. */
const connectionRefused = () =>
  new TypeError("fetch failed", {
    cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8787"), {
      code: "ECONNREFUSED",
    }),
  });

type Step = "forward" | "lose-answer" | "503" | "401" | "refused" | "dropped";

/**
 * The service reached through a script: each try does what the next entry says.
 * - `forward`: the service answers.
 * - `lose-answer`: the request reaches the service and is decided in full, then the try's
 *   timeout rings before the answer is read: the try is aborted, its answer lost.
 * - `503`: an unavailable answer, as a workspace that cannot answer gives it.
 * - `401`: the token was refused (it expired between two tries).
 * - `refused`: the connection is refused; nothing is sent.
 * - `dropped`: the connection drops, with no sign of whether the request was sent.
 */
function scriptedFetch(script: Step[], clock: () => Clock) {
  const tries: Request[] = [];
  const fetch = async (request: Request) => {
    tries.push(request.clone());
    const step = script[tries.length - 1] ?? "forward";
    if (step === "refused") throw connectionRefused();
    if (step === "dropped") throw new TypeError("Network connection lost.");
    if (step === "401") {
      const body = { error: { code: "unauthenticated", message: "The token has expired." } };
      return Response.json(body, { status: 401 });
    }
    if (step === "503") {
      return new Response(JSON.stringify({ error: { code: "unavailable", message: "busy" } }), {
        status: 503,
        headers: { "content-type": "application/json", "retry-after": "1" },
      });
    }
    if (step === "forward") return SELF.fetch(request);
    // The whole request reaches the service, which decides it; time then passes beyond the
    // try's limit, whose timer aborts the try: the answer never reaches the caller.
    const { url, method, headers } = request;
    const body = method === "GET" ? undefined : await request.arrayBuffer();
    const answered = await SELF.fetch(url, { method, headers, body });
    await answered.arrayBuffer();
    clock().ringTimeouts();
    if (!request.signal.aborted) throw new Error("the try's timeout did not abort it");
    throw request.signal.reason;
  };
  return { tries, fetch };
}

async function clientFor(ws: string, script: Step[] | "working", extra = {}) {
  const clock = controlledClock();
  const transport = scriptedFetch(script === "working" ? [] : script, () => clock);
  const client = createQuotaClient({
    baseUrl: "https://quota.test",
    token: await token(ws, "service"),
    fetch: transport.fetch,
    timeoutMs: TIMEOUT_MS,
    random: () => 0.5,
    schedule: clock.schedule,
    ...extra,
  });
  return { client, clock, tries: transport.tries };
}

const used = async (ws: string) =>
  (await call("GET", `/v1/workspaces/${ws}/credits`, { role: "viewer" })).json.used as number;

const keysOf = (tries: Request[]) => tries.map((t) => t.headers.get("idempotency-key"));

describe("the typed client against the running Worker", () => {
  it("spends credits and answers the decision, typed", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const { client } = await clientFor(ws, "working");
    const decision = await client.consume(ws, spend);
    if (decision.error) throw new Error(decision.error.message);
    expect(decision.allowed).toBe(true);
    if ("used" in decision) expect(decision.used).toBe(25);
    // A first answer is not marked as a replay.
    expect(decision.replayed).toBeUndefined();
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
    const { client, clock, tries } = await clientFor(ws, ["lose-answer", "forward"]);
    const decision = await client.consume(ws, spend);
    // The second try was answered from the first one's record: a replay, and says so.
    expect(decision).toMatchObject({ allowed: true, used: 25, replayed: true });
    expect(tries).toHaveLength(2);
    const keys = keysOf(tries);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(await used(ws)).toBe(25);
    // One backoff wait, with full jitter: half of the first ceiling (100 ms).
    expect(clock.waits.filter((ms) => ms !== TIMEOUT_MS)).toEqual([50]);
  });

  it("retries a 503 after its Retry-After with the caller's own key", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const { client, clock, tries } = await clientFor(ws, ["503", "forward"]);
    const decision = await client.consume(ws, spend, { idempotencyKey: "mine-1" });
    expect(decision).toMatchObject({ allowed: true });
    expect(decision).not.toHaveProperty("replayed");
    expect(keysOf(tries)).toEqual(["mine-1", "mine-1"]);
    expect(clock.waits.filter((ms) => ms !== TIMEOUT_MS)).toEqual([1_000]);
    // A later retry by the caller with the same key is answered from the ledger, as a replay.
    expect(await client.consume(ws, spend, { idempotencyKey: "mine-1" })).toEqual({
      ...decision,
      replayed: true,
    });
    expect(await used(ws)).toBe(25);
  });

  it("fails closed when no try can have reached the service: refused, nothing decided", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const { client, clock, tries } = await clientFor(ws, Array(50).fill("refused"), {
      maxAttempts: 4,
    });
    const refused = {
      allowed: false,
      reason: "service_unavailable",
      message: expect.stringContaining("nothing was decided"),
    };
    expect(await client.consume(ws, spend)).toEqual(refused);
    expect(tries).toHaveLength(4);
    // Backoff doubles per retry, each wait a jittered share of its ceiling.
    expect(clock.waits.filter((ms) => ms !== TIMEOUT_MS)).toEqual([50, 100, 200]);
    expect(await client.reserve(ws, { ...spend, ttlSeconds: 60 })).toEqual({
      ...refused,
      reservationId: null,
    });
    expect(await client.consumeCopilotQuestion(ws)).toEqual(refused);
    expect(await client.check(ws, spend)).toEqual(refused);
    expect(await client.commit(ws, "rsv_x", { credits: 1 })).toEqual({
      error: { code: "unavailable", message: expect.stringContaining("nothing was decided") },
    });
    expect(await used(ws)).toBe(0);
  });

  it("fails open for a check when the call asks, and only when the service cannot answer", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    // A check changes nothing: even tries that may have reached the service leave nothing
    // unknown, so it answers the refusal (or the fail-open allow), never an unknown outcome.
    for (const script of [Array(10).fill("refused"), Array(10).fill("lose-answer")]) {
      const down = await clientFor(ws, script);
      expect(await down.client.check(ws, spend, { failOpen: true })).toMatchObject({
        allowed: true,
        reason: "service_unavailable",
      });
      expect(await down.client.check(ws, spend)).toMatchObject({ allowed: false });
    }
    // A spend never fails open: there is no such option, and the answer is a refusal.
    const down = await clientFor(ws, Array(10).fill("refused"));
    expect(await down.client.consume(ws, spend)).toMatchObject({ allowed: false });

    // When the service answers, its decision stands, whatever failOpen says.
    await call("PUT", `/v1/workspaces/${ws}/credits/feature-limits/ai_rewriter`, {
      body: { limit: 0 },
    });
    const up = await clientFor(ws, "working");
    expect(await up.client.check(ws, spend, { failOpen: true })).toMatchObject({
      allowed: false,
      reason: "feature_limit_reached",
    });
  });

  it("answers a caller's mistake as the error body, without retrying it", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const { client, tries } = await clientFor(ws, "working");
    const answer = await client.consume(ws, { feature: "ai_rewriter", credits: 0 });
    expect(answer).toMatchObject({ error: { code: "invalid_request" } });
    expect(tries).toHaveLength(1);
  });
});

describe("an outcome the client could not learn", () => {
  it("30 consumes whose every try timed out after reaching the service: each is unknown with its key, and asking again learns the charge", async () => {
    const ws = freshWorkspace();
    await subscribe(ws); // pro, 3 seats: 6,750 credits
    const big = { feature: "ai_rewriter", credits: 250 } as const;
    const lossy = await clientFor(ws, Array(90).fill("lose-answer"));
    const unknown = [];
    for (let i = 0; i < 30; i++) {
      const answer = await lossy.client.consume(ws, big);
      // Never an allow, never "nothing was decided": unknown, with the key every try sent.
      expect(answer).toEqual({
        allowed: false,
        reason: "outcome_unknown",
        outcome: "unknown",
        idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
        message: expect.stringContaining("may have been applied"),
      });
      if (!isOutcomeUnknown(answer)) throw new Error("not unknown");
      const tries = lossy.tries.slice(3 * i, 3 * i + 3);
      expect(new Set(keysOf(tries))).toEqual(new Set([answer.idempotencyKey]));
      unknown.push(answer);
    }
    // The service did decide them: 27 × 250 = 6,750 charged, the last 3 refused.
    expect(await used(ws)).toBe(6_750);

    // Asking again with each key (same call, same body) answers what was decided, as a replay.
    const { client } = await clientFor(ws, "working");
    let learned = 0;
    const reasons: (string | undefined)[] = [];
    for (const { idempotencyKey } of unknown) {
      const answer = await client.consume(ws, big, { idempotencyKey });
      if (answer.error || answer.outcome === "unknown") throw new Error(JSON.stringify(answer));
      expect(answer.replayed).toBe(true);
      if (answer.allowed) learned += big.credits;
      reasons.push(answer.reason);
    }
    expect(learned).toBe(6_750);
    expect(reasons.filter((r) => r === "insufficient_credits")).toHaveLength(3);
    // Asking again charged nothing more: what the caller learned is what was charged.
    expect(await used(ws)).toBe(learned);
  });

  /** Every mutating method of the client, with what the state says it did. */
  const MUTATIONS: {
    name: string;
    call: (q: QuotaClient, ws: string, id: string, opts?: CallOptions) => Promise<object>;
    /** The answer learned by asking again, and the credits used and held after it. */
    learned: object;
    after: { used: number; held: number };
  }[] = [
    {
      name: "consume",
      call: (q, ws, _id, opts) => q.consume(ws, spend, opts),
      learned: { allowed: true, used: 25 },
      after: { used: 25, held: 10 },
    },
    {
      name: "reserve",
      call: (q, ws, _id, opts) => q.reserve(ws, { ...spend, ttlSeconds: 60 }, opts),
      learned: { allowed: true, reservationId: expect.stringMatching(/^rsv_/) },
      after: { used: 0, held: 35 },
    },
    {
      name: "commit",
      call: (q, ws, id, opts) => q.commit(ws, id, { credits: 12 }, opts),
      learned: { state: "committed", charged: 12 },
      after: { used: 12, held: 0 },
    },
    {
      name: "release",
      call: (q, ws, id, opts) => q.release(ws, id, opts),
      learned: { state: "released" },
      after: { used: 0, held: 0 },
    },
    {
      name: "consumeCopilotQuestion",
      call: (q, ws, _id, opts) => q.consumeCopilotQuestion(ws, opts),
      learned: { allowed: true },
      after: { used: 0, held: 10 },
    },
  ];

  for (const m of MUTATIONS) {
    it(`${m.name}: unknown with its key when every try may have reached the service; the key then learns the outcome`, async () => {
      const ws = freshWorkspace();
      await subscribe(ws);
      const working = await clientFor(ws, "working");
      const hold = await working.client.reserve(ws, { feature: "ai_agent", credits: 10 });
      if (hold.error || hold.reservationId === null) throw new Error("no reservation");
      const id = hold.reservationId;

      // The tries reach the service in every way that leaves the outcome open: the answer
      // lost to a timeout, a dropped connection, a 503; a refused connection on top changes
      // nothing (an earlier try may have landed).
      const lossy = await clientFor(ws, ["lose-answer", "dropped", "503", "refused"], {
        maxAttempts: 4,
      });
      const answer = await m.call(lossy.client, ws, id);
      expect(isOutcomeUnknown(answer)).toBe(true);
      const key = (answer as { idempotencyKey: string }).idempotencyKey;
      expect(new Set(keysOf(lossy.tries))).toEqual(new Set([key]));
      expect(answer).not.toMatchObject({ allowed: true });
      if ("error" in answer && answer.error) {
        expect(answer).toEqual({
          error: { code: "outcome_unknown", message: expect.stringContaining(key) },
          outcome: "unknown",
          idempotencyKey: key,
        });
      }

      const learned = await m.call(working.client, ws, id, { idempotencyKey: key });
      expect(learned).toMatchObject({ ...m.learned, replayed: true });
      const credits = (await call("GET", `/v1/workspaces/${ws}/credits`, { role: "viewer" })).json;
      expect({ used: credits.used, held: credits.held }).toEqual(m.after);
    });
  }

  it("says unknown, not refused, when the only try may have reached the service; refused when none can have", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    for (const [script, expected] of [
      [["dropped"], "outcome_unknown"],
      [["503"], "outcome_unknown"],
      [["lose-answer"], "outcome_unknown"],
      [["refused"], "service_unavailable"],
      // The token expired between a try that landed and its retry: the 401 hides nothing.
      [["lose-answer", "401"], "outcome_unknown"],
    ] as const) {
      const { client } = await clientFor(ws, [...script], { maxAttempts: script.length });
      const answer = await client.consume(ws, spend, { idempotencyKey: `k-${script.join("+")}` });
      expect(answer, script.join("+")).toMatchObject({ allowed: false, reason: expected });
      if (expected === "outcome_unknown") {
        expect(answer).toMatchObject({ idempotencyKey: `k-${script.join("+")}` });
      }
    }
    // Only the lost answers were decided spends.
    expect(await used(ws)).toBe(50);
    // A 401 that is the only answer is the caller's mistake, answered as such.
    const { client } = await clientFor(ws, ["401"]);
    expect(await client.consume(ws, spend)).toMatchObject({ error: { code: "unauthenticated" } });
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
      // A try that timed out may have reached the service.
      mayHaveReached: true,
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
