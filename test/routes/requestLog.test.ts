import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { RequestLine } from "../../src/requestLog";
import { setup } from "../support/credits";
import { freshWorkspace, token } from "../support/helpers";

/**
 * One JSON line per request (src/requestLog.ts), from both ways a request is answered: the
 * fast lane and the router. The test configurations set LOG_REQUESTS off; this test turns it
 * on for its own requests only, through the Worker's own fetch.
 */

const logging = { ...env, LOG_REQUESTS: "on" };

afterEach(() => {
  vi.restoreAllMocks();
});

async function send(path: string, init: RequestInit & { headers: Record<string, string> }) {
  const lines: RequestLine[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((text: unknown) => {
    lines.push(JSON.parse(String(text)));
  });
  const response = await worker.fetch(
    new Request(`https://quota.test${path}`, init) as Parameters<typeof worker.fetch>[0],
    logging,
    createExecutionContext(),
  );
  spy.mockRestore();
  return { response, lines, body: (await response.json()) as Record<string, unknown> };
}

describe("the request log", () => {
  it("writes one line per request with its route, workspace, status, reason, duration and id", async () => {
    const ws = freshWorkspace("log");
    await setup(ws);
    const service = { authorization: `Bearer ${await token(ws, "service")}` };
    const spend = JSON.stringify({ feature: "copilot", credits: 1_000_000 });

    // A refused check, answered by the fast lane: the decision's reason.
    const refused = await send(`/v1/workspaces/${ws}/credits/check`, {
      method: "POST",
      headers: {
        ...service,
        "content-type": "application/json",
        "content-length": String(spend.length),
        "cf-ray": "ray-1",
      },
      body: spend,
    });
    expect(refused.body.allowed).toBe(false);
    expect(refused.lines).toEqual([
      {
        requestId: "ray-1",
        method: "POST",
        route: "/v1/workspaces/{ws}/credits/check",
        ws,
        status: 200,
        reason: refused.body.reason,
        ms: expect.any(Number),
      },
    ]);

    // The same refusal through the router (an Idempotency-Key sends it there).
    const keyed = await send(`/v1/workspaces/${ws}/credits/consume`, {
      method: "POST",
      headers: { ...service, "content-type": "application/json", "idempotency-key": "k-log" },
      body: spend,
    });
    expect(keyed.lines).toHaveLength(1);
    expect(keyed.lines[0]).toMatchObject({
      route: "/v1/workspaces/{ws}/credits/consume",
      ws,
      status: 200,
      reason: keyed.body.reason,
      requestId: keyed.response.headers.get("x-request-id"),
    });

    // An error: its code.
    const missing = freshWorkspace("log-none");
    const error = await send(`/v1/workspaces/${missing}/usage`, {
      headers: { authorization: `Bearer ${await token(missing, "viewer")}` },
    });
    expect(error.lines).toEqual([
      {
        requestId: error.response.headers.get("x-request-id"),
        method: "GET",
        route: "/v1/workspaces/{ws}/usage",
        ws: missing,
        status: 404,
        reason: "not_found",
        ms: expect.any(Number),
      },
    ]);

    // An allow has no reason; a path off the route table has no route or workspace.
    const allowed = await send(`/v1/workspaces/${ws}/credits/consume`, {
      method: "POST",
      headers: { ...service, "content-type": "application/json" },
      body: JSON.stringify({ feature: "copilot", credits: 1 }),
    });
    expect(allowed.lines[0]).toMatchObject({ status: 200, reason: null });
    const nowhere = await send("/nope", { headers: {} });
    expect(nowhere.lines[0]).toMatchObject({ route: null, ws: null, status: 404 });

    // A platform route outside the table (the fleet's) by the router's pattern, refusal or not.
    const fleet = await send("/v1/fleet/summary", {
      headers: { authorization: `Bearer ${await token(ws, "viewer")}` },
    });
    expect(fleet.lines[0]).toMatchObject({
      route: "/v1/fleet/summary",
      ws: null,
      status: 403,
      reason: "forbidden",
    });
  });

  it("is silent when LOG_REQUESTS is off, as in every other test", async () => {
    const spy = vi.spyOn(console, "log");
    const nope = new Request("https://quota.test/nope") as Parameters<typeof worker.fetch>[0];
    await worker.fetch(nope, env, createExecutionContext());
    expect(spy).not.toHaveBeenCalled();
  });
});
