import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api";
import { call, freshWorkspace, subscribe } from "../helpers";

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
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

async function snapshot(ws: string): Promise<string> {
  const usage = await call("GET", `/v1/workspaces/${ws}/usage`);
  const credits = await call("GET", `/v1/workspaces/${ws}/credits`);
  const events = await call("GET", `/v1/workspaces/${ws}/events?limit=100`);
  const agents = await call("GET", `/v1/workspaces/${ws}/agents`);
  return JSON.stringify([usage.json, credits.json, events.json.events.length, agents.json]);
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
});
