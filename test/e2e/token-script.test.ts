import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/** `npm run token` (scripts/token.mjs) mints only tokens the Worker accepts (PRODUCT.md §7). */
const SECRET = "token-script-test-secret";
/** MAX_TOKEN_LIFETIME_SECONDS of src/auth.ts, pinned to the same figure by test/routes/auth.test.ts. */
const MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600;

function run(...args: string[]) {
  const r = spawnSync("npm", ["run", "--silent", "token", "--", ...args], {
    encoding: "utf8",
    env: { ...process.env, AUTH_SECRET: SECRET },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.trim().split(".")[1] ?? "", "base64url").toString("utf8"));

describe("npm run token", () => {
  it.each(["admin", "service", "viewer"])(
    "refuses to mint a `*` %s token, with a usage",
    (role) => {
      const r = run("*", role);
      expect(r.status).not.toBe(0);
      // No token on stdout. (With .npmrc's json=true, npm reports the failed script there as
      // a JSON error object; the reason and the usage are on stderr.)
      expect(r.stdout).not.toMatch(/eyJ/);
      expect(r.stderr).toContain("Only a platform token may carry *");
      expect(r.stderr).toContain("usage: npm run token --");
    },
  );

  it("mints a `*` platform token", () => {
    const r = run("*", "platform");
    expect(r.status).toBe(0);
    expect(claimsOf(r.stdout)).toMatchObject({ ws: "*", role: "platform" });
  });

  it("mints up to the Worker's maximum lifetime, and refuses longer", () => {
    const now = Math.floor(Date.now() / 1000);
    const longest = run("acme", "admin", String(MAX_TOKEN_LIFETIME_SECONDS));
    expect(longest.status).toBe(0);
    const { exp } = claimsOf(longest.stdout);
    expect(exp - now).toBeGreaterThanOrEqual(MAX_TOKEN_LIFETIME_SECONDS);
    expect(exp - now).toBeLessThanOrEqual(MAX_TOKEN_LIFETIME_SECONDS + 5);

    for (const ttl of [String(MAX_TOKEN_LIFETIME_SECONDS + 1), "0", "1.5", "ten"]) {
      const r = run("acme", "admin", ttl);
      expect(r.status, ttl).not.toBe(0);
      expect(r.stderr).toContain(`from 1 to ${MAX_TOKEN_LIFETIME_SECONDS} (366 days)`);
    }
  });
});
