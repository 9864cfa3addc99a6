import { describe, expect, it } from "vitest";
import { MAX_INSTANT, MIN_INSTANT } from "../../src/schemas/common";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * Every instant in an answer lies within 1970-9999 (docs/rules.md, "Time"). Answers compute
 * instants from the workspace clock (period starts and ends, grace ends, reservation expiries,
 * webhook retries), each within 31 days of it, so the test clock is bounded to
 * [1970-02-01, 9999-11-30]: a clock beyond is a 400 naming `now`, and a clock at a bound, with
 * the anchors that stretch a period furthest, answers only instants within the range.
 */

const MIN_MS = Date.parse(MIN_INSTANT);
const MAX_MS = Date.parse(MAX_INSTANT);
/** An ISO-8601 instant as answers write them, extended years (`+010000`, `-000001`) included. */
const ISO = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** Every instant anywhere in `value`, with its path. */
function instantsIn(value: unknown, path = ""): [string, string][] {
  if (typeof value === "string") return ISO.test(value) ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => instantsIn(v, `${path}.${i}`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => instantsIn(v, `${path}.${k}`));
  }
  return [];
}

const outOfRange = (answers: Record<string, unknown>) =>
  instantsIn(answers).filter(([, at]) => {
    const ms = Date.parse(at);
    return !(ms >= MIN_MS && ms <= MAX_MS);
  });

/**
 * Everything that computes an instant, at the workspace's clock: a spend, a reservation with
 * the longest ttl, an entity and a channel grace, an agent, a package, an anchor change (a
 * reset and a new period), then every read. Answers by name.
 */
async function exercise(ws: string, anchor: string, changedAnchor: string) {
  const answers: Record<string, unknown> = {};
  const run = async (name: string, method: string, path: string, body?: unknown) => {
    const r = await call(method, `${api(ws)}${path}`, { body });
    expect(r.status, `${name}: ${r.text}`).toBe(200);
    answers[name] = r.json;
  };
  await run("subscribe", "PUT", "/subscription", {
    plan: "base",
    seats: 1,
    periodAnchor: anchor,
    overrides: { leadsPerSeat: 1, aiCreditsPerSeat: 100 },
  });
  await run("consume", "POST", "/credits/consume", { feature: "ai_rewriter", credits: 85 });
  await run("reserve", "POST", "/credits/reservations", {
    feature: "ai_rewriter",
    credits: 1,
    ttlSeconds: 3600,
  });
  await run("lead 1", "POST", "/entities/leads", { id: "l1" });
  await run("lead 2", "POST", "/entities/leads/batch", { ids: ["l2", "l3"] });
  await run("number 1", "POST", "/channels/whatsapp", { id: "n1" });
  await run("number 2", "POST", "/channels/whatsapp", { id: "n2" });
  await run("package", "POST", "/credit-packages", {
    id: "p",
    credits: 10,
    expiresAt: MAX_INSTANT,
  });
  await run("copilot", "POST", "/copilot-questions/consume");
  await run("anchor change", "PUT", "/subscription", {
    plan: "base",
    seats: 1,
    periodAnchor: changedAnchor,
    overrides: { leadsPerSeat: 1, aiCreditsPerSeat: 100 },
  });
  for (const path of [
    "/usage",
    "/subscription",
    "/credits",
    "/credits/daily",
    "/credits/ledger",
    `/credits/reservations/${(answers.reserve as { reservationId: string }).reservationId}`,
    "/channels/whatsapp",
    "/entities/leads/l3",
    "/events",
  ]) {
    await run(`GET ${path}`, "GET", path);
  }
  return answers;
}

describe("the test clock keeps every computed instant within 1970-9999", () => {
  it.each([
    // [clock, anchor, what it would answer]: each one a period, a grace or a hold out of range,
    // or the first millisecond past a bound.
    ["1970-01-01T00:00:00.000Z", "1970-01-31T00:00:00.000Z", "periodStart 1969-12-31"],
    ["1970-01-31T23:59:59.999Z", "1970-02-01T00:00:00.000Z", "1 ms before the lower bound"],
    ["9999-12-20T00:00:00.000Z", "9999-12-15T23:30:00.000Z", "nextResetAt +010000-01-15"],
    ["9999-12-01T00:00:00.000Z", "9999-01-01T00:00:00.000Z", "nextResetAt +010000-01-01"],
    ["9999-12-31T23:00:00.000Z", "2026-07-15T00:00:00.000Z", "a grace ending in +010000"],
    ["9999-12-31T23:59:59.999Z", "2026-07-15T00:00:00.000Z", "a hold expiring in +010000"],
  ])(
    "a clock at %s (anchor %s: %s) is a 400 naming now, and changes nothing",
    async (clock, anchor) => {
      const ws = freshWorkspace("bounds");
      expect((await setClock(ws, "2026-07-20T00:00:00.000Z")).status).toBe(200);
      expect((await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: anchor })).status).toBe(
        200,
      );
      const before = (await call("GET", `${api(ws)}/credits`)).json;
      const r = await setClock(ws, clock);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details).toEqual([
        {
          path: "now",
          message: expect.stringContaining("1970-02-01T00:00:00.000Z and 9999-11-30"),
        },
      ]);
      expect((await call("GET", `${api(ws)}/credits`)).json).toEqual(before);
    },
  );

  it.each([
    // [clock, anchor, then anchor, whether the change ends the period with a credits.reset]
    // The earliest clock, with anchors whose period reaches furthest back from it.
    ["1970-02-01T00:00:00.000Z", "1970-02-01T00:00:00.001Z", "1970-03-31T12:00:00.000Z", true],
    // A period that begins at the clock: a change moves its end, with no reset.
    ["1970-02-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", false],
    // The latest clock, with anchors whose period reaches furthest ahead of it.
    ["9999-11-30T23:59:59.999Z", "9999-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z", false],
    ["9999-11-30T23:59:59.999Z", "1970-01-31T23:59:59.999Z", "9999-12-15T00:00:00.000Z", false],
    ["9999-11-30T23:59:59.999Z", "9999-12-15T00:00:00.000Z", "9999-12-31T23:59:59.999Z", true],
  ] as const)(
    "at the clock %s (anchor %s, then %s) every instant answered is in range",
    async (clock, anchor, changed, reset) => {
      const ws = freshWorkspace("bounds");
      expect((await setClock(ws, clock)).status).toBe(200);
      const answers = await exercise(ws, anchor, changed);
      expect(outOfRange(answers)).toEqual([]);
      // The run reached what it meant to: a grace on leads, one on numbers (those connected
      // before 2026-06-01 are grandfathered, so only at the later clock), and a reset where
      // the change ends a period.
      const usage = answers["GET /usage"] as { leads: { state: string } };
      expect(usage.leads.state).toBe("grace");
      const numberGrace = (answers["number 2"] as { grace?: unknown }).grace;
      expect(numberGrace !== undefined).toBe(clock > "2026");
      const events = (answers["GET /events"] as { events: { type: string }[] }).events;
      expect(events.some((e) => e.type === "credits.reset")).toBe(reset);
    },
  );

  it("finds the instants the answers carried before the bound", () => {
    const before = {
      credits: {
        periodStart: "1969-12-31T00:00:00.000Z",
        nextResetAt: "+010000-01-15T23:30:00.000Z",
      },
      fine: [MIN_INSTANT, MAX_INSTANT, "2026-07-15T00:00:00.000Z", "not an instant"],
    };
    expect(outOfRange(before).map(([path]) => path)).toEqual([
      ".credits.periodStart",
      ".credits.nextResetAt",
    ]);
  });

  it("answers the bounds of the clock in the OpenAPI document", async () => {
    const { json: doc } = await call("GET", "/openapi.json", { token: "" });
    expect(doc.components.schemas.TestClockInput.properties.now.description).toContain(
      "1970-02-01T00:00:00.000Z to 9999-11-30T23:59:59.999Z",
    );
  });
});
