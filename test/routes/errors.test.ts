import { describe, expect, it } from "vitest";
import { call, freshWorkspace, subscribe } from "../support/helpers";

const VALID = { plan: "base", seats: 2, periodAnchor: "2026-07-15T00:00:00.000Z" };

describe("validation and error shapes", () => {
  it("names every failing field path and changes nothing", async () => {
    const ws = freshWorkspace();
    await subscribe(ws, VALID);
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      body: {
        plan: "gold",
        seats: 1.5,
        periodAnchor: "yesterday",
        overrides: { leadsPerSeat: -1, bogus: 1 },
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
    const paths = r.json.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual([
      "overrides.bogus",
      "overrides.leadsPerSeat",
      "periodAnchor",
      "plan",
      "seats",
    ]);
    expect(r.json.error.message).toContain("overrides.leadsPerSeat");
    const after = await call("GET", `/v1/workspaces/${ws}/subscription`);
    expect(after.json).toMatchObject({ plan: "base", seats: 2 });
  });

  it("names missing required fields", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, { body: {} });
    expect(r.status).toBe(400);
    const paths = r.json.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(["periodAnchor", "plan", "seats"]);
  });

  it("answers a malformed JSON body with 400 and changes nothing", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      rawBody: '{"plan": "base", ',
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
    expect((await call("GET", `/v1/workspaces/${ws}/usage`)).status).toBe(404);
  });

  it("answers a non-JSON content type with 400", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      rawBody: JSON.stringify(VALID),
      headers: { "content-type": "text/plain" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.details[0].path).toBe("Content-Type");
  });

  it("answers a body with no content type as invalid, naming the fields", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, { rawBody: "" });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
  });

  it("answers an invalid workspace id with 400 naming ws", async () => {
    const r = await call("GET", "/v1/workspaces/bad.id!/usage", {
      token: await (await import("../support/helpers")).token("*", "platform"),
    });
    expect(r.status).toBe(400);
    expect(r.json.error.details[0].path).toBe("ws");
  });

  it("answers 413 for a body over 64 KiB and changes nothing", async () => {
    const ws = freshWorkspace();
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      body: { ...VALID, padding: "x".repeat(65 * 1024) },
    });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe("payload_too_large");
    expect((await call("GET", `/v1/workspaces/${ws}/subscription`)).status).toBe(404);
  });

  it("answers a workspace without a subscription with 404 in the error shape", async () => {
    const ws = freshWorkspace();
    const r = await call("GET", `/v1/workspaces/${ws}/usage`);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      error: {
        code: "not_found",
        message: expect.stringContaining("no subscription"),
        // The id the response's header carries (docs/api.md#errors).
        requestId: r.headers.get("x-request-id"),
      },
    });
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers an unknown route with 404 in the same shape", async () => {
    const ws = freshWorkspace();
    const r = await call("GET", `/v1/workspaces/${ws}/nothing-here`);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
    const top = await call("GET", "/nope");
    expect(top.status).toBe(404);
    expect(top.json.error.code).toBe("not_found");
  });

  it("refuses every request with a clear 500 when AUTH_SECRET is missing", async () => {
    const { createApp } = await import("../../src/api");
    const { env } = await import("cloudflare:test");
    const response = await createApp().fetch(
      new Request("https://quota.test/v1/workspaces/acme/usage"),
      { ...env, AUTH_SECRET: "" },
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "server_misconfigured",
    );
  });
});

describe("subscription and usage", () => {
  it("answers the subscription with its effective limits and usage with every limit", async () => {
    const ws = freshWorkspace();
    const put = await subscribe(ws, VALID);
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({
      workspaceId: ws,
      plan: "base",
      seats: 2,
      legacy: false,
      limits: {
        leads: 5_000,
        contactsAndCompanies: 25_000,
        includedCredits: 1_500,
        whatsappNumbers: 2,
      },
    });
    const usage = await call("GET", `/v1/workspaces/${ws}/usage`, { role: "viewer" });
    expect(usage.json).toMatchObject({
      leads: { limit: 5_000 },
      contactsAndCompanies: { limit: 25_000 },
      whatsapp: { limit: 2 },
      instagram: { limit: 2 },
      agents: { limit: 0, totalLimit: 500 },
      credits: { limit: 1_500 },
      copilotQuestions: { limit: 100 },
    });
  });

  it("takes a change of plan and seats into effect at once", async () => {
    const ws = freshWorkspace();
    await subscribe(ws, VALID);
    await subscribe(ws, { plan: "advanced", seats: 5, periodAnchor: VALID.periodAnchor });
    const usage = await call("GET", `/v1/workspaces/${ws}/usage`);
    expect(usage.json.whatsapp.limit).toBe(5);
    expect(usage.json.agents.limit).toBe(3);
    expect(usage.json.leads.limit).toBe(25_000);
  });

  it("keeps subscribedAt across updates and marks legacy subscriptions", async () => {
    const ws = freshWorkspace();
    await subscribe(ws, { ...VALID, subscribedAt: "2025-03-01T00:00:00Z" });
    const put = await subscribe(ws, { ...VALID, seats: 3 });
    expect(put.json).toMatchObject({ subscribedAt: "2025-03-01T00:00:00.000Z", legacy: true });
    expect(put.json.limits.activeAgents).toBe(1);
  });
});
