import { describe, expect, it } from "vitest";
import {
  cachedClaims,
  cachedTokenBytes,
  cachedTokenCount,
  ENTRY_OVERHEAD_BYTES,
  MAX_CACHE_BYTES,
  MAX_TOKENS,
} from "../src/tokenCache";

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

describe("the cache's weight (docs/rules.md: tokens are bounded, and so is what is kept of them)", () => {
  const sized = (bytes: number) => {
    const name = fresh("big");
    return `${name}${"x".repeat(bytes - name.length)}`;
  };

  it.each([
    // [token bytes, tokens sent]: with a count-only bound, 2,000 tokens of 100 KB held ~400 MB.
    [100 * 1024, 400],
    [4 * 1024, 2_000],
    [1024, 5_000],
    [200, 6_000],
  ])("keeps tokens of %i bytes (%i of them) within MAX_CACHE_BYTES", async (bytes, sent) => {
    const { verify } = counting();
    for (let i = 0; i < sent; i++) {
      await cachedClaims(sized(bytes), "s", verify, NOW);
      expect(cachedTokenBytes()).toBeLessThanOrEqual(MAX_CACHE_BYTES);
    }
    expect(cachedTokenCount()).toBeLessThanOrEqual(MAX_TOKENS);
    const each = bytes + ENTRY_OVERHEAD_BYTES;
    // Full to within one entry of the budget: eviction frees only what the newcomer needs.
    const held = Math.min(MAX_TOKENS, Math.floor(MAX_CACHE_BYTES / each), sent);
    expect(cachedTokenCount()).toBe(held);
    expect(cachedTokenBytes()).toBe(cachedTokenCount() * each);
  });

  it("evicts the least recently used token, not the oldest verified", async () => {
    const { calls, verify } = counting();
    const bytes = 64 * 1024;
    const room = Math.floor(MAX_CACHE_BYTES / (bytes + ENTRY_OVERHEAD_BYTES));
    // Fill the cache with big tokens only, then keep the first one in use.
    const first = sized(bytes);
    const second = sized(bytes);
    await cachedClaims(first, "s", verify, NOW);
    await cachedClaims(second, "s", verify, NOW);
    for (let i = 0; i < room; i++) {
      await cachedClaims(first, "s", verify, NOW);
      await cachedClaims(sized(bytes), "s", verify, NOW);
    }
    const before = calls.length;
    await cachedClaims(first, "s", verify, NOW);
    expect(calls.length).toBe(before); // still held: it was used all along
    await cachedClaims(second, "s", verify, NOW);
    expect(calls.length).toBe(before + 1); // evicted: unused since it came in
  });

  it("never keeps a token heavier than the whole budget", async () => {
    const { calls, verify } = counting();
    const huge = sized(MAX_CACHE_BYTES);
    const count = cachedTokenCount();
    await cachedClaims(huge, "s", verify, NOW);
    await cachedClaims(huge, "s", verify, NOW);
    expect(calls).toHaveLength(2);
    expect(cachedTokenCount()).toBe(count);
  });
});
