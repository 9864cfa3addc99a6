import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/policy/time";
import { CreditsOverview } from "../../src/schemas/credits";
import { postTopup } from "../support/budgets";
import { check, consume, credits, setup } from "../support/credits";
import { storedEvents } from "../support/events";
import { api, call, freshWorkspace, setClock } from "../support/helpers";

/**
 * The forecast (issue #22 §4) through GET credits, on spending histories, and its event: once
 * per period when the pool plus the top-ups would run out before the reset, recorded where the
 * roll-ups are brought up to date (due work), never by a check or a spend.
 */

const START = Date.parse("2026-07-15T00:00:00Z");
const day = (d: number) => new Date(START + d * DAY_MS).toISOString();

/** Pro × 1 seat with 1,000 credits a period from Jul 15 (31 days), clock at the start. */
async function workspace() {
  const ws = freshWorkspace("forecast");
  await setup(
    ws,
    { plan: "pro", seats: 1, periodAnchor: day(0), overrides: { aiCreditsPerSeat: 1_000 } },
    day(0),
  );
  return ws;
}

/** `spent[d]` credits at noon of day d, then the clock at day `now`. */
async function spend(ws: string, spent: number[], now: number) {
  for (const [d, n] of spent.entries()) {
    if (n === 0) continue;
    await setClock(ws, day(d + 0.5));
    expect((await consume(ws, "copilot", n)).json.allowed).toBe(true);
  }
  await setClock(ws, day(now));
}

describe("the credits view's forecast", () => {
  it.each([
    {
      name: "period so far: 3 days at 100 a day, 700 left: a week on",
      spent: [100, 100, 100],
      now: 3,
      want: { dailyRate: 100, exhaustsAt: day(10), basis: "periodSoFar" },
    },
    {
      name: "a top-up counts: 700 more left, a fortnight on",
      spent: [100, 100, 100],
      topup: 700,
      now: 3,
      want: { dailyRate: 100, exhaustsAt: day(17), basis: "periodSoFar" },
    },
    {
      name: "slow enough: not before the reset",
      spent: [10, 10],
      now: 2,
      want: { dailyRate: 10, exhaustsAt: null, basis: "periodSoFar" },
    },
    {
      name: "last 7 days: a busy first week no longer counts",
      spent: [200, 200, 200, 0, 0, 0, 0, 0, 0, 0, 50, 50, 50, 50],
      now: 14,
      want: { dailyRate: 28.57, exhaustsAt: day(21), basis: "last7Days" },
    },
    {
      name: "nothing spent: never runs out",
      spent: [],
      now: 2,
      want: { dailyRate: 0, exhaustsAt: null, basis: "periodSoFar" },
    },
    {
      name: "nothing left: now",
      spent: [1_000],
      now: 1,
      want: { dailyRate: 1_000, exhaustsAt: day(1), basis: "periodSoFar" },
    },
  ])("$name", async ({ spent, now, topup, want }) => {
    const ws = await workspace();
    if (topup !== undefined) {
      const r = await postTopup(ws, { id: "t-1", credits: topup, expiresAt: day(200) });
      expect(r.status).toBe(200);
    }
    await spend(ws, spent, now);
    const r = await credits(ws);
    expect(r.status).toBe(200);
    expect(CreditsOverview.safeParse(r.json).success).toBe(true);
    const f = r.json.forecast;
    expect({ ...f, exhaustsAt: null }).toEqual({ ...want, exhaustsAt: null });
    // The instant to the millisecond, but for a rate that is not a whole number.
    if (want.exhaustsAt === null) expect(f.exhaustsAt).toBeNull();
    else
      expect(Math.abs(Date.parse(f.exhaustsAt) - Date.parse(want.exhaustsAt))).toBeLessThanOrEqual(
        1,
      );
  });
});

const forecasts = async (ws: string) =>
  (await storedEvents(ws)).filter((e) => e.type === "credits.forecast");

describe("the credits.forecast event", () => {
  it("fires once per period from due work, again in the next period, never on a check or a spend", async () => {
    const ws = await workspace();
    const stub = env.WORKSPACE.getByName(ws);
    await setClock(ws, day(0.25)); // 06:00
    for (let i = 0; i < 2; i++) {
      expect((await check(ws, "copilot", 100)).json.allowed).toBe(true);
      expect((await consume(ws, "copilot", 100)).json.allowed).toBe(true);
    }
    // 200 in 6 hours: 800 a day, 800 left. Decided, not announced: no due work ran since.
    expect(await forecasts(ws)).toEqual([]);
    await stub.runDueWork();
    const first = await forecasts(ws);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      occurredAt: day(0.25),
      data: {
        dailyRate: 800,
        basis: "periodSoFar",
        remaining: 800,
        periodStart: day(0),
        nextResetAt: day(31),
      },
    });
    const exhaustsAt = Date.parse(first[0]?.data.exhaustsAt);
    expect(Math.abs(exhaustsAt - (START + 1.25 * DAY_MS))).toBeLessThanOrEqual(1);
    // Still running out, more spent, more due work: once per period.
    await consume(ws, "copilot", 100);
    await setClock(ws, day(0.5));
    await stub.runDueWork();
    expect(await forecasts(ws)).toHaveLength(1);
    // Recorded like every event: in the feed (and to the webhook).
    const feed = await call("GET", `${api(ws)}/events`, { role: "viewer" });
    expect(
      feed.json.events.filter((e: { type: string }) => e.type === "credits.forecast"),
    ).toHaveLength(1);
    // The next period: a new pool, spent fast again, announced again.
    await setClock(ws, new Date(START + 31 * DAY_MS + 6 * HOUR_MS).toISOString());
    await consume(ws, "copilot", 300);
    expect(await forecasts(ws)).toHaveLength(1);
    await setClock(ws, new Date(START + 31 * DAY_MS + 7 * HOUR_MS).toISOString());
    const both = await forecasts(ws);
    expect(both).toHaveLength(2);
    expect(both[1]?.data.periodStart).toBe(day(31));
  });

  it("stays quiet when the credits last until the reset", async () => {
    const ws = await workspace();
    await spend(ws, [5, 5, 5], 3);
    await env.WORKSPACE.getByName(ws).runDueWork();
    expect(await forecasts(ws)).toEqual([]);
    expect((await credits(ws)).json.forecast.exhaustsAt).toBeNull();
  });
});
