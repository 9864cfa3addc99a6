import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api";
import { jsonDepthExceeds, MAX_BODY_DEPTH } from "../../src/routes/shared";
import { call, freshWorkspace, subscribe } from "../support/helpers";

/**
 * Hostile but bounded input against every route the Worker serves: no answer is a 5xx, every
 * error has the one error shape, and a refused request leaves the workspace exactly as it was.
 */
const PARAM_VALUES = ["x", "%2F..%2F", "a".repeat(200), "%00", "ü", "1e309", "-1", "leads"];
const BODIES: (string | undefined)[] = [
  undefined,
  "",
  "null",
  "[]",
  '"text"',
  "42",
  "{",
  '{"__proto__":{"admin":true}}',
  '{"id":null,"credits":"5","feature":["copilot"],"limit":-1,"now":"2026-13-45"}',
  '{"credits":1e309,"ttlSeconds":99999999999,"seats":0.5,"plan":"PRO"}',
  JSON.stringify({ id: "x".repeat(10_000), name: "", outcome: "maybe", connectedAt: "soon" }),
];

function servedRoutes(): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of createApp().routes) {
    if (r.method === "ALL" || !r.path.startsWith("/v1/")) continue;
    // It takes no body and names nothing, so every call to it is a valid question asked.
    if (r.path.endsWith("/copilot-questions/consume")) continue;
    // Takes no body either: any body asks for a new live ticket (test/routes/live.test.ts).
    if (r.path.endsWith("/live/ticket")) continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

async function snapshot(ws: string): Promise<string> {
  const usage = await call("GET", `/v1/workspaces/${ws}/usage`);
  const credits = await call("GET", `/v1/workspaces/${ws}/credits`);
  const events = await call("GET", `/v1/workspaces/${ws}/events?limit=100`);
  const agents = await call("GET", `/v1/workspaces/${ws}/agents`);
  // A view's receipt says when it was read (`at`); its sequence is what must not move.
  const figures = (v: { receipt?: { seq: number } }) => ({ ...v, receipt: v.receipt?.seq });
  return JSON.stringify([
    figures(usage.json),
    figures(credits.json),
    events.json.events.length,
    agents.json,
  ]);
}

describe("robustness", () => {
  it("never answers a 5xx, always in the error shape, and a refused request changes nothing", async () => {
    const ws = freshWorkspace("fuzz");
    await subscribe(ws);
    const before = await snapshot(ws);
    let requests = 0;
    for (const route of servedRoutes()) {
      for (const [i, sent] of BODIES.entries()) {
        const body = route.method === "GET" ? undefined : sent;
        const value = PARAM_VALUES[i % PARAM_VALUES.length] ?? "x";
        const path = route.path
          .replace(":ws", ws)
          .replace(/:(\w+)/g, (_, name) => (name === "kind" && i % 2 === 0 ? "leads" : value));
        const r = await call(route.method, path, {
          rawBody: body,
          headers: body === undefined ? {} : { "content-type": "application/json" },
        });
        requests++;
        expect(r.status, `${route.method} ${path} ${body}`).toBeLessThan(500);
        if (r.status >= 400) {
          expect(r.json?.error?.code, `${route.method} ${path}`).toEqual(expect.any(String));
          expect(r.json.error.message).toEqual(expect.any(String));
        }
      }
    }
    expect(requests).toBeGreaterThan(200);
    // Every body above is invalid for the route it went to, or names something that does not
    // exist: nothing may have changed.
    expect(await snapshot(ws)).toBe(before);
  });

  it("answers odd query strings on the feed and lists with a 400, not a crash", async () => {
    const ws = freshWorkspace("fuzz");
    await subscribe(ws);
    for (const q of ["after=-1", "after=abc", "after=1e99", "limit=0", "limit=101", "limit=x"]) {
      const r = await call("GET", `/v1/workspaces/${ws}/events?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    const page = await call("GET", `/v1/workspaces/${ws}/channels/whatsapp?pageSize=100000`);
    expect(page.status).toBe(400);
  });

  it.each([
    ["credits/ledger?agentId=%ZZ", "agentId"],
    ["credits/ledger?order=newest&feature=%E0%A4%A", "feature"],
    ["events?%ZZ=1", "query"],
    ["credits/ledger?agentId=a%2Fb&kind=debit", null],
  ])(
    "answers ?%s with a 400 naming the parameter when it is no valid percent-encoding",
    async (q, field) => {
      const ws = freshWorkspace("pct");
      await subscribe(ws);
      const r = await call("GET", `/v1/workspaces/${ws}/${q}`);
      if (field === null) {
        expect(r.status, q).toBe(200);
        return;
      }
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details[0].path).toBe(field);
    },
  );
});

/** Every mutating route, including those without a body: a body is read (and bounded) on each. */
function mutatingRoutes(): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of createApp().routes) {
    if (!["POST", "PUT", "DELETE"].includes(r.method) || !r.path.startsWith("/v1/")) continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

const nested = (levels: number, open: string, close: string, inner = "1") =>
  `${open.repeat(levels)}${inner}${close.repeat(levels)}`;

// docs/rules.md, "Answers, errors and callers"
describe("nesting depth (bounded before anything walks the body)", () => {
  it(`names the limit of ${MAX_BODY_DEPTH} levels`, () => {
    expect(MAX_BODY_DEPTH).toBe(32);
  });

  it("answers a body nested 3,000 and 30,000 levels with 400 naming the limit, on every mutating route, with and without a key, and changes nothing", async () => {
    const ws = freshWorkspace("deep");
    await subscribe(ws);
    const before = await snapshot(ws);
    const routes = mutatingRoutes();
    expect(routes.length).toBeGreaterThan(15);
    let checked = 0;
    for (const route of routes) {
      const path = route.path.replace(":ws", ws).replace(/:(\w+)/g, "x");
      for (const body of [
        nested(3_000, "[", "]"),
        nested(3_000, '{"a":', "}"),
        // Under 64 KiB, so it reaches the depth check rather than the size limit.
        nested(30_000, "[", "]"),
        `{"feature":"copilot","credits":1,"id":"x","extra":${nested(3_000, "[", "]")}}`,
      ]) {
        for (const key of [undefined, `deep-${checked}`]) {
          const r = await call(route.method, path, {
            rawBody: body,
            headers: {
              "content-type": "application/json",
              ...(key === undefined ? {} : { "idempotency-key": key }),
            },
          });
          const what = `${route.method} ${route.path} key=${key !== undefined} ${body.slice(0, 12)}`;
          expect(r.status, what).toBe(400);
          expect(r.json.error.code, what).toBe("invalid_request");
          expect(r.json.error.details, what).toEqual([
            {
              path: "(body)",
              message: `nests deeper than ${MAX_BODY_DEPTH} levels of arrays and objects`,
            },
          ]);
          checked++;
        }
      }
    }
    expect(checked).toBe(routes.length * 8);
    expect(await snapshot(ws)).toBe(before);
  });

  it("answers 100,000 levels (over 64 KiB) with 413, with and without a key", async () => {
    const ws = freshWorkspace("deep");
    await subscribe(ws);
    for (const key of [undefined, "deep-100k"]) {
      const r = await call("POST", `/v1/workspaces/${ws}/credits/consume`, {
        rawBody: nested(100_000, "[", "]"),
        headers: {
          "content-type": "application/json",
          ...(key === undefined ? {} : { "idempotency-key": key }),
        },
      });
      expect(r.status).toBe(413);
      expect(r.json.error.code).toBe("payload_too_large");
    }
  });

  it("counts only structure: brackets inside strings are text, and the limit itself is allowed", async () => {
    const ws = freshWorkspace("deep");
    await subscribe(ws);
    const consume = (rawBody: string, key: string) =>
      call("POST", `/v1/workspaces/${ws}/credits/consume`, {
        role: "service",
        rawBody,
        headers: { "content-type": "application/json", "idempotency-key": key },
      });
    // 3,000 brackets and escaped quotes inside a string: one level deep, a valid request shape.
    const inString = await consume(
      JSON.stringify({ feature: "copilot", credits: 1, note: `\\"${"[".repeat(3_000)}"` }),
      "in-string",
    );
    expect(inString.status).toBe(400);
    expect(inString.json.error.details).toEqual([
      { path: "note", message: "is not a known field" },
    ]);
    // Exactly the limit: parsed and validated as usual (an unknown field), not refused for depth.
    const atLimit = await consume(
      `{"feature":"copilot","credits":1,"x":${nested(MAX_BODY_DEPTH - 1, "[", "]")}}`,
      "at-limit",
    );
    expect(atLimit.json.error.details).toEqual([{ path: "x", message: "is not a known field" }]);
    const overLimit = await consume(
      `{"feature":"copilot","credits":1,"x":${nested(MAX_BODY_DEPTH, "[", "]")}}`,
      "over-limit",
    );
    expect(overLimit.json.error.details[0].message).toContain(`deeper than ${MAX_BODY_DEPTH}`);
    // A valid call still works, and its fingerprint still replays.
    const body = JSON.stringify({ feature: "copilot", credits: 1 });
    const first = await consume(body, "fine");
    expect(first.status).toBe(200);
    expect((await consume(body, "fine")).headers.get("idempotent-replayed")).toBe("true");
  });
});

describe("jsonDepthExceeds", () => {
  it("measures the nesting of JSON text without parsing it", () => {
    expect(jsonDepthExceeds("1", 0)).toBe(false);
    expect(jsonDepthExceeds("[]", 0)).toBe(true);
    expect(jsonDepthExceeds("[]", 1)).toBe(false);
    expect(jsonDepthExceeds('[{"a":[1]},{"b":2}]', 3)).toBe(false);
    expect(jsonDepthExceeds('[{"a":[1]},{"b":2}]', 2)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[\\"{{{"}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a\\\\":[[1]]}', 2)).toBe(true);
    expect(jsonDepthExceeds(nested(1_000_000, "[", "]"), 32)).toBe(true);
  });
});
