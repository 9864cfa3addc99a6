import { env, runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { objectFault, RETRY_AFTER_SECONDS } from "../../src/errors";
import { call, freshWorkspace, setClock, subscribe } from "../helpers";

/**
 * PRODUCT.md §7 and the 503 contract: when the workspace object throws (overloaded, a transient
 * runtime fault, or an exception of its own), the Worker answers 503 `unavailable` with a
 * Retry-After, never an allow. The faults are injected into the real object, through the real
 * Worker: a method of the object's class is wrapped (test only) to throw for one instance.
 */
type Faults = Record<string, () => Error>;
type Faulty = { __faults?: Faults };
type Method = (...args: unknown[]) => unknown;

const wrapped = new Map<string, { proto: Record<string, Method>; original: Method }>();

/** Makes `method` of the workspace's object throw `make()` until `heal` (this instance only). */
async function injectFault(ws: string, method: string, make: () => Error): Promise<void> {
  await runInDurableObject(env.WORKSPACE.getByName(ws), (instance) => {
    const proto = Object.getPrototypeOf(instance) as Record<string, Method>;
    if (!wrapped.has(method)) {
      const original = proto[method];
      if (typeof original !== "function") throw new Error(`no method ${method}`);
      wrapped.set(method, { proto, original });
      proto[method] = function (this: Faulty, ...args: unknown[]) {
        const fault = this.__faults?.[method];
        if (fault !== undefined) throw fault();
        return original.apply(this, args);
      };
    }
    const faulty = instance as unknown as Faulty;
    faulty.__faults = { ...faulty.__faults, [method]: make };
  });
}

const heal = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (instance) => {
    (instance as unknown as Faulty).__faults = {};
  });

afterAll(() => {
  for (const [method, { proto, original }] of wrapped) proto[method] = original;
});

/** What workerd throws at the call site: the flags it sets on Durable Object errors. */
const overloaded = () =>
  Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), {
    overloaded: true,
    retryable: false,
  });
const transient = () => Object.assign(new Error("Network connection lost."), { retryable: true });
const bug = () => new TypeError("Cannot read properties of undefined (reading 'used')");

async function workspace() {
  const ws = freshWorkspace("fault");
  await setClock(ws, "2026-07-20T00:00:00Z");
  await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
  return ws;
}

const spend = (ws: string, action: "check" | "consume", key?: string) =>
  call("POST", `/v1/workspaces/${ws}/credits/${action}`, {
    role: "service",
    body: { feature: "copilot", credits: 10 },
    headers: key === undefined ? {} : { "idempotency-key": key },
  });

const pool = async (ws: string) => (await call("GET", `/v1/workspaces/${ws}/credits`)).json;

function expectUnavailable(
  r: Awaited<ReturnType<typeof call>>,
  fault: keyof typeof RETRY_AFTER_SECONDS,
) {
  expect(r.status).toBe(503);
  expect(r.json).toEqual({
    error: {
      code: "unavailable",
      message: expect.stringContaining("nothing was decided"),
      requestId: r.headers.get("x-request-id"),
    },
  });
  expect(r.json.allowed).toBeUndefined();
  expect(r.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS[fault]));
}

describe("a failing workspace object is a 503, never an allow", () => {
  it.each([
    ["overloaded", overloaded],
    ["retryable", transient],
    ["failed", bug],
  ] as const)(
    "answers a fault (%s) on check and consume with 503 and Retry-After, spending nothing",
    async (fault, make) => {
      const ws = await workspace();
      await injectFault(ws, "checkCredits", make);
      await injectFault(ws, "consumeCredits", make);
      expectUnavailable(await spend(ws, "check"), fault);
      expectUnavailable(await spend(ws, "consume"), fault);
      expectUnavailable(await spend(ws, "consume", `k-${fault}`), fault);
      await heal(ws);
      expect(await pool(ws)).toMatchObject({ used: 0, held: 0 });
      const ledger = await call("GET", `/v1/workspaces/${ws}/credits/ledger`);
      expect(ledger.json.entries).toEqual([]);
      // Healed, the same key is a fresh call: the failed attempt left nothing behind.
      const retry = await spend(ws, "consume", `k-${fault}`);
      expect(retry.status).toBe(200);
      expect(retry.json.allowed).toBe(true);
      expect(retry.headers.get("idempotent-replayed")).toBeNull();
      expect(await pool(ws)).toMatchObject({ used: 10 });
    },
  );

  it("answers reads and other mutations the same way", async () => {
    const ws = await workspace();
    await injectFault(ws, "usage", overloaded);
    await injectFault(ws, "reserveCredits", transient);
    await injectFault(ws, "createEntity", bug);
    expectUnavailable(await call("GET", `/v1/workspaces/${ws}/usage`), "overloaded");
    const reserve = await call("POST", `/v1/workspaces/${ws}/credits/reservations`, {
      role: "service",
      body: { feature: "ai_agent", credits: 30 },
    });
    expectUnavailable(reserve, "retryable");
    const lead = await call("POST", `/v1/workspaces/${ws}/entities/leads`, {
      role: "service",
      body: { id: "lead-1" },
    });
    expectUnavailable(lead, "failed");
    await heal(ws);
    expect((await call("GET", `/v1/workspaces/${ws}/usage`)).json.leads.used).toBe(0);
    expect(await pool(ws)).toMatchObject({ used: 0, held: 0 });
  });

  it("lets a caller retry with its key when the object failed after recording the spend: charged once", async () => {
    const ws = await workspace();
    // The debit commits, then arming the alarm throws: the caller cannot know it was recorded.
    await injectFault(ws, "armAlarm", transient);
    expectUnavailable(await spend(ws, "consume", "after-commit"), "retryable");
    await heal(ws);
    const retry = await spend(ws, "consume", "after-commit");
    expect(retry.status).toBe(200);
    expect(retry.json.allowed).toBe(true);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await pool(ws)).toMatchObject({ used: 10 });
    const ledger = await call("GET", `/v1/workspaces/${ws}/credits/ledger`);
    expect(ledger.json.entries).toHaveLength(1);
  });

  it("documents 503 unavailable with its Retry-After header on every workspace route", async () => {
    const doc = (await call("GET", "/openapi.json", { token: "" })).json;
    let routes = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith("/v1/workspaces/")) continue;
      for (const operation of Object.values(operations as Record<string, unknown>)) {
        const r503 = (operation as { responses: Record<string, unknown> }).responses["503"] as {
          headers: Record<string, unknown>;
          content: { "application/json": { schema: unknown } };
        };
        expect(r503, path).toBeDefined();
        expect(r503.headers["Retry-After"]).toBeDefined();
        expect(JSON.stringify(r503.content)).toContain("unavailable");
        routes++;
      }
    }
    expect(routes).toBeGreaterThan(20);
  });
});

describe("objectFault", () => {
  it("reads workerd's flags, and leaves the Worker's own errors alone (500)", () => {
    expect(objectFault(overloaded())).toBe("overloaded");
    expect(objectFault(transient())).toBe("retryable");
    expect(objectFault(Object.assign(new Error("x"), { remote: true }))).toBe("failed");
    expect(objectFault(new Error("a bug in the Worker"))).toBeUndefined();
    expect(objectFault("text")).toBeUndefined();
    expect(objectFault(null)).toBeUndefined();
  });
});
