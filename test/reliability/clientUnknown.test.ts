import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createQuotaClient, isOutcomeUnknown } from "../../src/client";
import { call, freshWorkspace, token } from "../support/helpers";
import { reportFigures } from "./figures";
import { CLEAN, checkHistory, type Observation, readLedger } from "./history";
import { seedFrom } from "./rng";
import { subscriptionBody } from "./workload";

/**
 * The typed client on a lossy network: concurrent callers whose tries reach the service and
 * are decided, but whose answers are often lost (the try times out after the service acted).
 * The client must never allow what it could not confirm, must say "unknown" with the key it
 * used, and asking again with that key must teach the caller exactly what was charged: in the
 * end every credit charged is a credit some caller was told about, once.
 */

const SEED = seedFrom((env as { RELIABILITY_SEED?: string }).RELIABILITY_SEED);
const PLAN = { seats: 2, anchor: "2026-07-15T00:00:00.000Z", perSeat: 500 };
const BALANCE = PLAN.seats * PLAN.perSeat;
const CALLERS = 12;
const CALLS_PER_CALLER = 25;
/** Share of tries whose answer is lost after the service decided them. */
const LOSS = 0.5;

/** mulberry32, seeded: the same run for the same RELIABILITY_SEED. */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("the typed client on a lossy network", () => {
  it(`never hides a charge: unknown outcomes carry their key and asking again learns every credit (seed ${SEED})`, {
    timeout: 240_000,
  }, async (ctx) => {
    const ws = freshWorkspace("unknown");
    await call("PUT", `/v1/workspaces/${ws}/test-clock`, {
      role: "platform",
      body: { now: "2026-07-20T00:00:00.000Z" },
    });
    await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      role: "platform",
      body: subscriptionBody(PLAN),
    });
    const random = rng(SEED);
    let requests = 0;
    let fiveHundreds = 0;
    /** Every try reaches the Worker and is decided; then, half the time, its answer is lost. */
    const lossy = async (request: Request) => {
      requests++;
      const response = await SELF.fetch(request);
      if (response.status >= 500) fiveHundreds++;
      if (random() < LOSS) {
        await response.body?.cancel();
        throw new TypeError("Network connection lost.");
      }
      return response;
    };
    const bearer = await token(ws, "service");
    const client = (fetch: (r: Request) => Promise<Response>) =>
      createQuotaClient({
        baseUrl: "https://quota.test",
        token: bearer,
        fetch,
        // Backoff ends at once: nothing waits on a real clock.
        schedule: (fn, ms) => {
          if (ms >= 2_000) return () => undefined;
          queueMicrotask(fn);
          return () => undefined;
        },
      });
    const shaky = client(lossy);
    const steady = client(async (r) => {
      requests++;
      return SELF.fetch(r);
    });

    const observations: Observation[] = [];
    let learnedCredits = 0;
    let unknowns = 0;
    let allowedUnknown = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, caller) => {
        for (let n = 0; n < CALLS_PER_CALLER; n++) {
          const spend = { feature: "ai_rewriter" as const, credits: 1 + ((caller + n) % 7) };
          const key = `c${caller}-${n}`;
          let answer = await shaky.consume(ws, spend, { idempotencyKey: key });
          if (isOutcomeUnknown(answer)) {
            unknowns++;
            if ((answer as { allowed: boolean }).allowed) allowedUnknown++;
            expect(answer.idempotencyKey).toBe(key);
            // Ask again with the key until the answer is learned.
            answer = await steady.consume(ws, spend, { idempotencyKey: answer.idempotencyKey });
          }
          if ("error" in answer && answer.error !== undefined) {
            throw new Error(`caller ${caller}: ${JSON.stringify(answer)}`);
          }
          if (isOutcomeUnknown(answer)) throw new Error("still unknown on a steady network");
          const granted = answer.allowed === true;
          if (granted) learnedCredits += spend.credits;
          observations.push({ key, kind: "debit", granted });
        }
      }),
    );
    const get = (path: string) => call("GET", `/v1/workspaces/${ws}${path}`, { role: "viewer" });
    const entries = await readLedger(get);
    const counters = (await get("/credits")).json;
    const verdict = checkHistory({
      initial: { balance: BALANCE, caps: {} },
      changes: [],
      entries,
      observations,
    });
    const charged = entries
      .filter((e) => e.kind === "debit")
      .reduce((sum, e) => sum + e.credits, 0);
    reportFigures(
      ctx,
      {
        requestsIssued: requests,
        overspendFound: verdict.overspend.length,
        doubleCharges: verdict.doubleCharges.length,
        acknowledgedSpendsLost: verdict.lost.length + verdict.phantom.length,
        fiveHundredsSeen: fiveHundreds,
      },
      `client unknown outcomes: ${unknowns} of ${CALLERS * CALLS_PER_CALLER} consumes unknown at first, ${charged} credits charged, ${learnedCredits} learned by their callers`,
    );
    expect(unknowns).toBeGreaterThan(0);
    expect(allowedUnknown).toBe(0);
    // Every credit charged was learned by its caller, and nothing was charged twice.
    expect(learnedCredits).toBe(charged);
    expect(counters.used).toBe(charged);
    expect(charged).toBeLessThanOrEqual(BALANCE);
    expect({ ...verdict, entries: 0 }).toEqual(CLEAN);
  });
});
