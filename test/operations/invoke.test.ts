import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import * as ops from "../../src/operations";
import { canonical, fingerprint } from "../../src/operations/fingerprint";
import { invoke } from "../../src/operations/invoke";
import type { CallMeta } from "../../src/workspace/context";

/** An Env whose workspace object answers every method with `answer` (or throws what it gives). */
function fakeEnv(answer: (method: string, args: unknown[]) => unknown, vars: Partial<Env> = {}) {
  const calls: { method: string; args: unknown[] }[] = [];
  const stub = new Proxy(
    {},
    {
      get:
        (_target, method: string) =>
        async (...args: unknown[]) => {
          calls.push({ method, args });
          return answer(method, args);
        },
    },
  );
  const env = { WORKSPACE: { getByName: () => stub }, ...vars } as unknown as Env;
  return { env, calls };
}

const spend = { feature: "ai_rewriter", credits: 1 };

describe("invoke (the entrypoints' way to run an operation)", () => {
  it("answers an overloaded or unreachable workspace as `unavailable`, never throws", async () => {
    // invoke logs each fault it answers (src/operations/invoke.ts): asserted, not printed.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const [fault, flags] of [
      ["overloaded", { overloaded: true }],
      ["retryable", { retryable: true }],
    ] as const) {
      const { env } = fakeEnv(() => {
        throw Object.assign(new Error("Durable Object is overloaded."), flags);
      });
      const answer = await invoke(env, "service", ops.consume, {
        params: { ws: "a" },
        body: spend,
      });
      expect(answer).toEqual({ error: { code: "unavailable", message: expect.any(String) } });
      expect(logged).toHaveBeenLastCalledWith(`workspace object ${fault}`, expect.any(Error));
    }
    logged.mockRestore();
  });

  it("answers any other thrown error as `internal_error`, never throws", async () => {
    const { env } = fakeEnv(() => {
      throw new TypeError("a bug");
    });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const answer = await invoke(env, "service", ops.check, { params: { ws: "a" }, body: spend });
    expect(answer.error?.code).toBe("internal_error");
    expect(logged).toHaveBeenCalledExactlyOnceWith("unhandled error", expect.any(TypeError));
    logged.mockRestore();
  });

  it("refuses a role the operation does not allow before asking the object", async () => {
    const { env, calls } = fakeEnv(() => ({ ok: true, value: {} }));
    const answer = await invoke(env, "service", ops.putSubscription, {
      params: { ws: "a" },
      body: { plan: "pro", seats: 1, periodAnchor: "2026-07-01T00:00:00Z" },
    });
    expect(answer.error).toMatchObject({
      code: "forbidden",
      details: { reason: "role_not_allowed" },
    });
    expect(calls).toEqual([]);
  });

  it("hides test clocks where they are off, whatever the caller sends", async () => {
    const { env, calls } = fakeEnv(() => ({ ok: true, value: {} }), { TEST_CLOCKS: "off" });
    const answer = await invoke(env, "platform", ops.setTestClock, { params: { ws: "a" } });
    expect(answer.error).toEqual({ code: "not_found", message: "Test clocks are off here." });
    expect(calls).toEqual([]);
  });

  it("passes the key and the fingerprint of the validated request, for idempotent operations only", async () => {
    const { env, calls } = fakeEnv(() => ({ ok: true, value: { allowed: true } }));
    const key = { idempotencyKey: "k-1" };
    await invoke(env, "service", ops.consume, { params: { ws: "a" }, body: spend }, key);
    await invoke(env, "service", ops.check, { params: { ws: "a" }, body: spend }, key);
    const consumeMeta = calls[0]?.args[1] as CallMeta;
    expect(consumeMeta).toEqual({
      role: "service",
      idempotencyKey: "k-1",
      fingerprint: await fingerprint("consume", { params: { ws: "a" }, body: spend }),
    });
    // A check changes nothing: it neither needs nor gets a key (as over HTTP).
    expect(calls[1]?.args).toEqual([spend]);
  });

  it("marks a replayed answer with replayed: true, and nothing else", async () => {
    const value = { allowed: true, used: 1 };
    for (const [reply, expected] of [
      [
        { ok: true, value, replayed: true },
        { ...value, replayed: true },
      ],
      [{ ok: true, value, replayed: false }, value],
      [{ ok: true, value }, value],
      // An error is never recorded under a key, so it is never a replay: left as it is.
      [
        { ok: false, error: { code: "not_found", message: "x" }, replayed: true },
        { error: { code: "not_found", message: "x" } },
      ],
    ] as const) {
      const { env } = fakeEnv(() => reply);
      const key = { idempotencyKey: "k-1" };
      const answer = await invoke(
        env,
        "service",
        ops.consume,
        { params: { ws: "a" }, body: spend },
        key,
      );
      expect(answer, JSON.stringify(reply)).toEqual(expected);
    }
  });

  it("answers the JSON an HTTP caller reads: undefined members are left out", async () => {
    const { env } = fakeEnv(() => ({ ok: true, value: { allowed: true, reason: undefined } }));
    const answer = await invoke(env, "service", ops.check, { params: { ws: "a" }, body: spend });
    expect(Object.keys(answer)).toEqual(["allowed"]);
  });
});

describe("fingerprint", () => {
  it("is the same for equal requests whatever their key order or undefined members", async () => {
    expect(canonical({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    const one = await fingerprint("consume", {
      params: { ws: "a" },
      body: { feature: "x", credits: 1 },
    });
    const same = await fingerprint("consume", {
      params: { ws: "a" },
      query: undefined,
      body: { credits: 1, feature: "x", ttlSeconds: undefined },
    });
    expect(same).toBe(one);
  });

  it("differs by operation, parameters and body", async () => {
    const base = { params: { ws: "a", id: "r1" }, body: { credits: 1 } };
    const one = await fingerprint("commit", base);
    expect(await fingerprint("release", base)).not.toBe(one);
    expect(await fingerprint("commit", { ...base, params: { ws: "a", id: "r2" } })).not.toBe(one);
    expect(await fingerprint("commit", { ...base, body: { credits: 2 } })).not.toBe(one);
  });
});
