import { describe, expect, it } from "vitest";
import { call, freshWorkspace, subscribe, token } from "../helpers";

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
    const { TEST_AUTH_SECRET } = await import("../secret");
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
