import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api";
import { call, freshWorkspace, setClock, subscribe, token } from "../support/helpers";

describe("test clocks", () => {
  it("freezes a workspace clock before its subscription exists, then moves forward only", async () => {
    const ws = freshWorkspace();
    const first = await setClock(ws, "2026-07-01T00:00:00Z");
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ now: "2026-07-01T00:00:00.000Z", frozen: true });
    const sub = await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: "2026-07-01T00:00:00Z",
    });
    // The subscription's own timestamp comes from the frozen clock.
    expect(sub.json.updatedAt).toBe("2026-07-01T00:00:00.000Z");
    expect((await setClock(ws, "2026-07-02T00:00:00Z")).status).toBe(200);
    const back = await setClock(ws, "2026-07-01T12:00:00Z");
    expect(back.status).toBe(400);
    expect(back.json.error.details[0].path).toBe("now");
    const again = await subscribe(ws, {
      plan: "base",
      seats: 2,
      periodAnchor: "2026-07-01T00:00:00Z",
    });
    expect(again.json.updatedAt).toBe("2026-07-02T00:00:00.000Z");
  });

  it("is platform-only", async () => {
    const ws = freshWorkspace();
    for (const role of ["admin", "service", "viewer"] as const) {
      const r = await call("PUT", `/v1/workspaces/${ws}/test-clock`, {
        role,
        body: { now: "2026-07-01T00:00:00Z" },
      });
      expect(r.status).toBe(403);
    }
  });

  it("validates its body", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/test-clock`, { body: { now: "soon" } });
    expect(r.status).toBe(400);
    expect(r.json.error.details[0].path).toBe("now");
  });

  it("does not exist where TEST_CLOCKS is off", async () => {
    const app = createApp();
    const t = await token("acme", "platform");
    const response = await app.fetch(
      new Request("https://quota.test/v1/workspaces/acme/test-clock", {
        method: "PUT",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
        body: JSON.stringify({ now: "2026-07-01T00:00:00Z" }),
      }),
      { ...env, TEST_CLOCKS: "off" },
    );
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
