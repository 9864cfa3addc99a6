import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { MAX_TOKEN_BYTES, MAX_TOKEN_LIFETIME_SECONDS } from "../../src/auth";
import type { Role } from "../../src/workspace/context";
import { call, freshWorkspace, subscribe, token } from "../support/helpers";
import { TEST_AUTH_SECRET } from "../support/secret";

describe("auth matrix", () => {
  it("refuses a missing token with 401", async () => {
    const ws = freshWorkspace();
    const r = await call("GET", `/v1/workspaces/${ws}/usage`, { token: "" });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("unauthenticated");
  });

  it("refuses a token signed with another secret with 401", async () => {
    const ws = freshWorkspace();
    const forged = await token(ws, "platform", { secret: "not-the-secret" });
    const r = await subscribe(ws).then(() =>
      call("GET", `/v1/workspaces/${ws}/usage`, { token: forged }),
    );
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("unauthenticated");
  });

  it("refuses a malformed token and a non-bearer scheme with 401", async () => {
    const ws = freshWorkspace();
    expect((await call("GET", `/v1/workspaces/${ws}/usage`, { token: "abc.def.ghi" })).status).toBe(
      401,
    );
    const basic = await call("GET", `/v1/workspaces/${ws}/usage`, {
      token: "",
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(basic.status).toBe(401);
  });

  it("refuses an expired token with 401", async () => {
    const ws = freshWorkspace();
    const expired = await token(ws, "platform", { expiresInSeconds: -60 });
    const r = await call("GET", `/v1/workspaces/${ws}/usage`, { token: expired });
    expect(r.status).toBe(401);
    expect(r.json.error.message).toMatch(/expired/);
  });

  it("refuses a token for another workspace with 403, and changes nothing there", async () => {
    const ws = freshWorkspace();
    const other = freshWorkspace();
    await subscribe(ws);
    const foreign = await token(other, "admin");
    const read = await call("GET", `/v1/workspaces/${ws}/usage`, { token: foreign });
    expect(read.status).toBe(403);
    expect(read.json.error.code).toBe("forbidden");
    const platformOfOther = await token(other, "platform");
    const write = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      token: platformOfOther,
      body: { plan: "base", seats: 1, periodAnchor: "2026-07-01T00:00:00Z" },
    });
    expect(write.status).toBe(403);
    expect((await call("GET", `/v1/workspaces/${ws}/subscription`)).json.plan).toBe("pro");
  });

  it.each(["admin", "service", "viewer"] as const)(
    "refuses the %s role on a platform-only call with 403",
    async (role) => {
      const ws = freshWorkspace();
      const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
        role,
        body: { plan: "pro", seats: 1, periodAnchor: "2026-07-01T00:00:00Z" },
      });
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe("forbidden");
      expect(r.json.error.details).toEqual({ reason: "role_not_allowed" });
    },
  );

  it.each(["platform", "admin", "service", "viewer"] as const)(
    "lets the %s role read usage",
    async (role) => {
      const ws = freshWorkspace();
      await subscribe(ws);
      const r = await call("GET", `/v1/workspaces/${ws}/usage`, { role });
      expect(r.status).toBe(200);
    },
  );

  it("accepts a `*` platform token for any workspace", async () => {
    const ws = freshWorkspace();
    const any = await token("*", "platform");
    const r = await call("PUT", `/v1/workspaces/${ws}/subscription`, {
      token: any,
      body: { plan: "advanced", seats: 2, periodAnchor: "2026-07-01T00:00:00Z" },
    });
    expect(r.status).toBe(200);
  });

  it("refuses a token whose claims are missing or of an unknown role with 401", async () => {
    const ws = freshWorkspace();
    const { sign } = await import("hono/jwt");
    const { TEST_AUTH_SECRET } = await import("../support/secret");
    const exp = Math.floor(Date.now() / 1000) + 60;
    for (const payload of [
      { ws, role: "owner", exp },
      { ws, role: "admin" },
      { role: "admin", exp },
    ]) {
      const t = await sign(payload, TEST_AUTH_SECRET, "HS256");
      expect((await call("GET", `/v1/workspaces/${ws}/usage`, { token: t })).status).toBe(401);
    }
  });
});

// docs/rules.md, "Answers, errors and callers"
describe("star tokens (only the platform may carry ws `*`)", () => {
  it.each(["admin", "service", "viewer"] as const)(
    "refuses a `*` %s token with 401 saying why, on every kind of call",
    async (role) => {
      const ws = freshWorkspace();
      await subscribe(ws);
      const star = await token("*", role);
      for (const [method, path, body] of [
        ["GET", `/v1/workspaces/${ws}/usage`, undefined],
        ["PUT", `/v1/workspaces/${ws}/credits/feature-limits/copilot`, { limit: 0 }],
        ["POST", `/v1/workspaces/${ws}/credits/consume`, { feature: "copilot", credits: 1 }],
      ] as const) {
        const r = await call(method, path, { token: star, body });
        expect(r.status, `${role} ${method} ${path}`).toBe(401);
        expect(r.json.error.code).toBe("unauthenticated");
        expect(r.json.error.message).toMatch(/only a platform token may carry ws "\*"/);
      }
    },
  );

  it("keeps an admin `*` token from capping another workspace's feature (the hole it closes)", async () => {
    const victim = freshWorkspace("victim");
    await subscribe(victim);
    const r = await call("PUT", `/v1/workspaces/${victim}/credits/feature-limits/copilot`, {
      token: await token("*", "admin"),
      body: { limit: 0 },
    });
    expect(r.status).toBe(401);
    const credits = await call("GET", `/v1/workspaces/${victim}/credits`);
    const copilot = credits.json.features.find((f: { feature: string }) => f.feature === "copilot");
    expect(copilot.creditLimit).toBeNull();
  });
});

// docs/rules.md, "Answers, errors and callers"
describe("token lifetime (bounded, documented)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const withExp = async (ws: string, exp: number, role: Role = "viewer") =>
    sign({ ws, role, exp }, TEST_AUTH_SECRET, "HS256");

  it("accepts a token living the documented maximum of 366 days", async () => {
    expect(MAX_TOKEN_LIFETIME_SECONDS).toBe(366 * 24 * 3600);
    const ws = freshWorkspace();
    await subscribe(ws);
    const longest = await withExp(ws, now() + MAX_TOKEN_LIFETIME_SECONDS);
    expect((await call("GET", `/v1/workspaces/${ws}/usage`, { token: longest })).status).toBe(200);
  });

  it.each([
    ["a day over the maximum", MAX_TOKEN_LIFETIME_SECONDS + 24 * 3600],
    ["ten years", 10 * 365 * 24 * 3600],
    ["the year 275760", 8.64e12 - Math.floor(Date.now() / 1000)],
  ])("refuses a token living %s with 401 saying why", async (_, lifetimeSeconds) => {
    const ws = freshWorkspace();
    await subscribe(ws);
    for (const role of ["platform", "viewer"] as const) {
      const t = await withExp(role === "platform" ? "*" : ws, now() + lifetimeSeconds, role);
      const r = await call("GET", `/v1/workspaces/${ws}/usage`, { token: t });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe("unauthenticated");
      expect(r.json.error.message).toContain(`${MAX_TOKEN_LIFETIME_SECONDS} seconds (366 days)`);
    }
  });

  it("refuses an exp that is not a whole number of seconds with 401", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const fraction = await sign({ ws, role: "viewer", exp: now() + 60.5 }, TEST_AUTH_SECRET);
    const r = await call("GET", `/v1/workspaces/${ws}/usage`, { token: fraction });
    expect(r.status).toBe(401);
    expect(r.json.error.message).toMatch(/exp \(whole seconds\)/);
    // A string exp, as a careless issuer might send it (hono's types want a number).
    const payload: Record<string, unknown> = { ws, role: "viewer", exp: `${now() + 60}` };
    const text = await sign(payload, TEST_AUTH_SECRET);
    expect((await call("GET", `/v1/workspaces/${ws}/usage`, { token: text })).status).toBe(401);
  });

  it("documents the star and lifetime rules in the bearer scheme of the OpenAPI document", async () => {
    const doc = await call("GET", "/openapi.json", { token: "" });
    const description: string = doc.json.components.securitySchemes.bearer.description;
    expect(description).toContain('`ws: "*"` on any role but `platform`');
    expect(description).toContain(`${MAX_TOKEN_LIFETIME_SECONDS} seconds (366 days)`);
  });
});

describe("token size (docs/rules.md: bounded, 401 before any verification or caching)", () => {
  const exp = () => Math.floor(Date.now() / 1000) + 3600;
  /** The longest token of at most `bytes`, validly signed, padded by an extra claim. */
  async function signedOf(ws: string, atMost: number, secret = TEST_AUTH_SECRET) {
    let best = "";
    for (let pad = Math.max(0, Math.floor((atMost * 3) / 4) - 200); pad < atMost; pad++) {
      const t = await sign({ ws, role: "viewer", exp: exp(), pad: "x".repeat(pad) }, secret);
      if (t.length > atMost) return { fits: best, over: t };
      best = t;
    }
    throw new Error(`no token of at most ${atMost} bytes`);
  }

  it("documents the maximum as 4 KiB", () => {
    expect(MAX_TOKEN_BYTES).toBe(4096);
  });

  it.each([
    ["the largest token that fits", "fits", 200],
    ["one a few bytes over", "over", 401],
  ] as const)("answers %s (%s) with %i", async (_, which, status) => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const token = (await signedOf(ws, 4096))[which];
    expect(token.length <= MAX_TOKEN_BYTES).toBe(which === "fits");
    const r = await call("GET", `/v1/workspaces/${ws}/usage`, { token });
    expect(r.status).toBe(status);
    if (status === 401) {
      expect(r.json.error.code).toBe("unauthenticated");
      expect(r.json.error.message).toContain(`longer than the ${MAX_TOKEN_BYTES} bytes (4 KiB)`);
    }
  });

  it.each([
    ["validly signed, 100 KB", TEST_AUTH_SECRET],
    ["wrongly signed, 100 KB", "not-the-secret"],
  ])(
    "refuses a token %s for its size, on every way in, before checking its signature",
    async (_, secret) => {
      const ws = freshWorkspace();
      await subscribe(ws);
      const big = await sign({ ws, role: "service", exp: exp(), pad: "x".repeat(100_000) }, secret);
      for (const [method, path, body] of [
        ["GET", `/v1/workspaces/${ws}/usage`, undefined],
        // credits/consume is answered by the preflight's fast lane when the token is good.
        ["POST", `/v1/workspaces/${ws}/credits/consume`, { feature: "copilot", credits: 1 }],
      ] as const) {
        const r = await call(method, path, { token: big, body });
        expect(r.status, path).toBe(401);
        // The size is named, not the signature: nothing was verified.
        expect(r.json.error.message).toMatch(/is \d+ bytes, longer than the 4096 bytes/);
        expect(r.json.error.details).toEqual({ reason: "malformed" });
      }
      expect((await call("GET", `/v1/workspaces/${ws}/credits`)).json.used).toBe(0);
    },
  );

  it("states the maximum in the bearer scheme of the OpenAPI document", async () => {
    const doc = await call("GET", "/openapi.json", { token: "" });
    expect(doc.json.components.securitySchemes.bearer.description).toContain(
      `longer than ${MAX_TOKEN_BYTES} bytes (4 KiB)`,
    );
  });
});
