import { describe, expect, it } from "vitest";
import { cachedClaims, cachedTokenCount, MAX_TOKENS } from "../src/tokenCache";

const NOW = 1_800_000_000_000;
const claims = (exp: number) => ({ ws: "w", role: "service", exp });

/** A verifier that counts its calls; `exp` in seconds, like a JWT. */
function counting(exp = NOW / 1000 + 3600) {
  const calls: string[] = [];
  const verify = async (token: string, secret: string) => {
    calls.push(`${secret}:${token}`);
    if (token.startsWith("bad")) throw new Error("invalid");
    return claims(exp);
  };
  return { calls, verify };
}

let n = 0;
const fresh = (prefix = "tok") => `${prefix}-${n++}`;

describe("the isolate's verified tokens", () => {
  it("verifies a token once and answers its claims after that", async () => {
    const { calls, verify } = counting();
    const token = fresh();
    for (let i = 0; i < 5; i++) {
      expect(await cachedClaims(token, "s", verify, NOW + i)).toEqual(claims(NOW / 1000 + 3600));
    }
    expect(calls).toHaveLength(1);
    await cachedClaims(fresh(), "s", verify, NOW);
    expect(calls).toHaveLength(2);
  });

  it("verifies again once the token's exp has passed, and with another secret", async () => {
    const exp = NOW / 1000 + 60;
    const { calls, verify } = counting(exp);
    const token = fresh();
    await cachedClaims(token, "s", verify, NOW);
    await cachedClaims(token, "s", verify, exp * 1000 - 1);
    expect(calls).toHaveLength(1);
    await cachedClaims(token, "s", verify, exp * 1000);
    expect(calls).toHaveLength(2);
    await cachedClaims(token, "other", verify, NOW);
    expect(calls).toHaveLength(3);
  });

  it("never keeps a token that failed", async () => {
    const { calls, verify } = counting();
    const token = fresh("bad");
    for (let i = 0; i < 3; i++) {
      await expect(cachedClaims(token, "s", verify, NOW)).rejects.toThrow("invalid");
    }
    expect(calls).toHaveLength(3);
  });

  it("holds at most MAX_TOKENS, dropping the oldest", async () => {
    const { calls, verify } = counting();
    const first = fresh();
    await cachedClaims(first, "s", verify, NOW);
    for (let i = 0; i < MAX_TOKENS + 10; i++) await cachedClaims(fresh(), "s", verify, NOW);
    expect(cachedTokenCount()).toBe(MAX_TOKENS);
    const before = calls.length;
    await cachedClaims(first, "s", verify, NOW);
    expect(calls.length).toBe(before + 1);
  });
});
