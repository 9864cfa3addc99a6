import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../../src/auth";
import { LIVE_TICKET_REASONS, UNAUTHENTICATED_REASONS } from "../../src/errors";
import { call, freshWorkspace, subscribe, token } from "../support/helpers";
import { TEST_AUTH_SECRET } from "../support/secret";

// Clients act on `details.reason`, never on the message (docs/api.md#tokens-and-roles): the
// billing page says what went wrong from it.
describe("the reason a token was refused", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");

  it("names each way a token can fail in details.reason, and only those", async () => {
    const ws = freshWorkspace("reason");
    await subscribe(ws);
    const valid = await token(ws, "viewer");
    const cases: [string, string | undefined, (typeof UNAUTHENTICATED_REASONS)[number]][] = [
      ["no header", undefined, "missing"],
      ["not a JWT", "not-a-token", "malformed"],
      ["a cut-off token", valid.split(".").slice(0, 2).join("."), "malformed"],
      ["claims missing", await sign({ ws, exp: now() + 60 }, TEST_AUTH_SECRET), "malformed"],
      ["another secret", await token(ws, "viewer", { secret: "another" }), "bad_signature"],
      [
        "alg none",
        `${b64({ alg: "none", typ: "JWT" })}.${b64({ ws, role: "viewer", exp: now() + 60 })}.`,
        "malformed",
      ],
      [
        "HS512",
        await sign({ ws, role: "viewer", exp: now() + 60 }, TEST_AUTH_SECRET, "HS512"),
        "bad_signature",
      ],
      ["expired", await token(ws, "viewer", { expiresInSeconds: -60 }), "expired"],
      [
        "nbf ahead",
        await sign({ ws, role: "viewer", exp: now() + 600, nbf: now() + 300 }, TEST_AUTH_SECRET),
        "not_yet_valid",
      ],
      ["a * viewer", await token("*", "viewer"), "star_not_allowed"],
      [
        "too long-lived",
        await sign(
          { ws, role: "viewer", exp: now() + MAX_TOKEN_LIFETIME_SECONDS + 86_400 },
          TEST_AUTH_SECRET,
        ),
        "lifetime_too_long",
      ],
    ];
    const seen = new Set<string>();
    for (const [what, bearer, reason] of cases) {
      const r = await call("GET", `/v1/workspaces/${ws}/usage`, { token: bearer ?? "" });
      expect(r.status, what).toBe(401);
      expect(r.json.error, what).toMatchObject({ code: "unauthenticated", details: { reason } });
      seen.add(reason);
    }
    // The live socket's ticket reasons are the rest (test/routes/live.test.ts sees each).
    const tokenReasons = UNAUTHENTICATED_REASONS.filter(
      (r) => !(LIVE_TICKET_REASONS as readonly string[]).includes(r),
    );
    expect([...seen].sort()).toEqual([...tokenReasons].sort());
  });

  it("marks a token for another workspace as wrong_workspace (403)", async () => {
    const ws = freshWorkspace("reason");
    await subscribe(ws);
    const r = await call("GET", `/v1/workspaces/${ws}/usage`, {
      token: await token(freshWorkspace("other"), "admin"),
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({
      code: "forbidden",
      details: { reason: "wrong_workspace" },
    });
  });
});
