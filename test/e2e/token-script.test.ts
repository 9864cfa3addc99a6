import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * `npm run token` (scripts/token.mjs) mints only tokens the Worker accepts (docs/rules.md,
 * "Answers, errors and callers": tokens).
 */
const SECRET = "token-script-test-secret";
/** MAX_TOKEN_LIFETIME_SECONDS of src/auth.ts, pinned to the same figure by test/routes/auth.test.ts. */
const MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600;

/** As the README runs it: `npm run -s token -- …`. */
function run(...args: string[]) {
  const r = spawnSync("npm", ["run", "-s", "token", "--", ...args], {
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
      // Nothing on stdout; the reason and the usage, in plain text, on stderr; exit status 2.
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Only a platform token may carry *");
      expect(r.stderr).toContain("usage: npm run -s token --");
      expect(r.stderr).not.toContain("{");
    },
  );

  it("says how to use it when given nothing, in plain text with exit status 2", () => {
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe("A workspace id (or *) and a role are required.");
    expect(r.stderr).toContain("usage: npm run -s token --");
  });

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
