import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/policy/time";
import { call, freshWorkspace, token } from "../support/helpers";
import type { ListedChannel } from "../support/schemas";
import { reportFigures } from "./figures";
import {
  CLEAN,
  checkHistory,
  countersAgainstLedger,
  type Observation,
  readLedger,
} from "./history";
import { subscriptionBody } from "./workload";

/**
 * Two attacks of the third review, run as clients would: thousands of holds that lapse at one
 * instant (every answer after it must decide from the same figures: no false refusal, no
 * overspend), and raising the seats for a second before each grace end (no limit held off past
 * its first grace).
 */

const START = Date.parse("2026-07-20T00:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
const HOLDS = 2_000;
const HOLD_CREDITS = 2;
const PLAN = { seats: 2, anchor: "2026-07-15T00:00:00.000Z", perSeat: 2_000 };
const BALANCE = PLAN.seats * PLAN.perSeat;
const CLIENTS = 16;
const WAVE = 50;

describe("thousands of holds lapsing at one instant", () => {
  it(`${HOLDS} holds take the whole pool, lapse together, and the pool is spent exactly once`, {
    timeout: 240_000,
  }, async (ctx) => {
    const ws = freshWorkspace("lapses");
    const auth = {
      platform: await token(ws, "platform"),
      service: await token(ws, "service"),
      viewer: await token(ws, "viewer"),
    };
    let requests = 0;
    let fiveHundreds = 0;
    const send = async (
      method: string,
      path: string,
      role: keyof typeof auth,
      body?: unknown,
      key?: string,
    ) => {
      requests++;
      const r = await call(method, `/v1/workspaces/${ws}${path}`, {
        token: auth[role],
        body,
        headers: key === undefined ? {} : { "idempotency-key": key },
      });
      if (r.status >= 500) fiveHundreds++;
      return r;
    };
    await send("PUT", "/test-clock", "platform", { now: iso(START) });
    await send("PUT", "/subscription", "platform", subscriptionBody(PLAN));
    const observations: Observation[] = [];
    for (let wave = 0; wave < HOLDS / WAVE; wave++) {
      await Promise.all(
        Array.from({ length: WAVE }, async (_, n) => {
          const key = `hold-${wave}-${n}`;
          const r = await send(
            "POST",
            "/credits/reservations",
            "service",
            { feature: "copilot", credits: HOLD_CREDITS, ttlSeconds: 60 },
            key,
          );
          observations.push({ key, kind: "hold", granted: r.json.allowed === true });
        }),
      );
    }
    expect(observations.filter((o) => o.granted)).toHaveLength(HOLDS);
    // Every hold lapses at the same instant; the clock's due work settles them in batches.
    await send("PUT", "/test-clock", "platform", { now: iso(START + 120_000) });
    const view = await send("GET", "/credits", "viewer");
    expect(view.json).toMatchObject({ held: 0, remaining: BALANCE });

    // Clients spend the pool concurrently: 25 credits until refused, then 1 credit until
    // refused. Exactly the balance must be granted, never more (no overspend) and never less
    // (no false refusal from holds that look open).
    let spends = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (const size of [25, 1]) {
          for (;;) {
            const key = `spend-${client}-${spends++}`;
            const r = await send(
              "POST",
              "/credits/consume",
              "service",
              { feature: "ai_rewriter", credits: size },
              key,
            );
            observations.push({ key, kind: "debit", granted: r.json.allowed === true });
            if (r.json.allowed !== true) break;
          }
        }
      }),
    );
    const get = (path: string) => send("GET", path, "viewer");
    const entries = await readLedger(get);
    const counters = (await get("/credits")).json;
    const verdict = checkHistory({
      initial: { balance: BALANCE, caps: {} },
      changes: [],
      entries,
      observations,
    });
    reportFigures(
      ctx,
      {
        requestsIssued: requests,
        overspendFound: verdict.overspend.length,
        doubleCharges: verdict.doubleCharges.length,
        acknowledgedSpendsLost: verdict.lost.length,
        fiveHundredsSeen: fiveHundreds,
      },
      `lapses: ${HOLDS} holds lapsed at once, ${entries.length} ledger rows, ${counters.used} of ${BALANCE} credits spent after`,
    );
    expect(counters).toMatchObject({ used: BALANCE, held: 0, remaining: 0 });
    expect(entries.filter((e) => e.kind === "expire")).toHaveLength(HOLDS);
    expect(countersAgainstLedger(counters, entries)).toEqual([]);
    expect({ ...verdict, entries: 0 }).toEqual(CLEAN);
    expect(fiveHundreds).toBe(0);
  });
});

describe("seats raised for a second before each grace end", () => {
  it("holds no 4th number off its limit past the first grace, over 30 days", {
    timeout: 240_000,
  }, async (ctx) => {
    const ws = freshWorkspace("seatbump");
    const platform = await token(ws, "platform");
    const service = await token(ws, "service");
    let requests = 0;
    let fiveHundreds = 0;
    const send = async (method: string, path: string, tok: string, body?: unknown) => {
      requests++;
      const r = await call(method, `/v1/workspaces/${ws}${path}`, { token: tok, body });
      if (r.status >= 500) fiveHundreds++;
      return r;
    };
    let now = START;
    const clock = () => send("PUT", "/test-clock", platform, { now: iso(now) });
    const seats = (n: number) =>
      send("PUT", "/subscription", platform, {
        plan: "advanced",
        seats: n,
        periodAnchor: PLAN.anchor,
      });
    await clock();
    await seats(1);
    for (const id of ["n1", "n2", "n3", "n4"]) {
      await send("POST", "/channels/whatsapp", service, { id });
    }
    // Hour by hour for 30 days: whenever a grace is running, bump the seats to 4 and back to 1
    // a minute before it ends; whatever was disabled is connected again at once.
    let overHours = 0;
    const end = START + 30 * 24 * HOUR_MS;
    while (now < end) {
      const u = (await send("GET", "/usage", platform)).json.whatsapp;
      if (u.used > u.limit) overHours++;
      if (u.state === "grace" && Date.parse(u.graceEndsAt) - now <= HOUR_MS) {
        now = Date.parse(u.graceEndsAt) - 60_000;
        await clock();
        await seats(4);
        now += 1_000;
        await clock();
        await seats(1);
      }
      now += HOUR_MS;
      await clock();
      const list = (await send("GET", "/channels/whatsapp", platform)).json;
      for (const c of list.channels as ListedChannel[]) {
        if (c.status === "disabled")
          await send("POST", "/channels/whatsapp", service, { id: c.id });
      }
    }
    reportFigures(
      ctx,
      { requestsIssued: requests, fiveHundredsSeen: fiveHundreds },
      `seat bump: a 4th number worked ${overHours} h of 720 on a 3-number limit (rules allow 24)`,
    );
    expect(overHours).toBeLessThanOrEqual(24);
    expect(fiveHundreds).toBe(0);
  });
});
