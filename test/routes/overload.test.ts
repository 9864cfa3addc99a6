import { env } from "cloudflare:test";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import { objectFault, RETRY_AFTER_SECONDS } from "../../src/errors";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * docs/rules.md, "Answers, errors and callers" (a workspace that cannot answer is never an
 * allow): when a call to the workspace object fails (overloaded, a transient runtime fault, or
 * an exception of the object's own), the Worker answers 503 `unavailable` with a Retry-After. The faults are injected at the call site,
 * through the real Worker: the Worker's WORKSPACE namespace is wrapped (test only) so that one
 * workspace's stub throws what workerd throws there, with the flags workerd sets. Not inside
 * the object: workerd logs every error an object's method throws as an uncaught exception,
 * even when the Worker handles it, and the run would print one trace per injected fault.
 */
type Method = (...args: unknown[]) => Promise<unknown>;
interface Fault {
  make: () => Error;
  /** Thrown once the real call has returned: the object applied the call, its answer was lost. */
  afterTheCall?: true;
}

/** Workspace → method → the fault its calls throw, until `heal`. */
const faults = new Map<string, Map<string, Fault>>();
const realNamespace = env.WORKSPACE;

/** The stub of `ws` as the Worker sees it: the real one, but for a faulty method. */
function faultyStub(ws: string, stub: DurableObjectStub): DurableObjectStub {
  return new Proxy(stub, {
    get(target, key) {
      const fault = typeof key === "string" ? faults.get(ws)?.get(key) : undefined;
      // An RPC method of a stub needs no binding (and has no .bind: any name is a remote one).
      const real = Reflect.get(target, key) as unknown;
      if (fault === undefined) return real;
      return async (...args: unknown[]) => {
        if (fault.afterTheCall) await (real as Method)(...args);
        throw fault.make();
      };
    },
  });
}

beforeAll(() => {
  env.WORKSPACE = new Proxy(realNamespace, {
    get(target, key) {
      if (key === "getByName") {
        return (name: string) => faultyStub(name, target.getByName(name));
      }
      const real = Reflect.get(target, key) as unknown;
      return typeof real === "function" ? real.bind(target) : real;
    },
  });
});

afterAll(() => {
  env.WORKSPACE = realNamespace;
});

// The Worker logs each fault it answers with a 503 (console.error "workspace object <fault>",
// src/api.ts): expected here, so it is asserted instead of printed.
let logged: MockInstance<typeof console.error>;
beforeEach(() => {
  logged = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  logged.mockRestore();
});

/** Makes `method` of the workspace's stub throw `make()` until `heal`. */
function injectFault(ws: string, method: string, make: () => Error, afterTheCall?: true): void {
  const methods = faults.get(ws) ?? new Map<string, Fault>();
  methods.set(method, { make, ...(afterTheCall && { afterTheCall }) });
  faults.set(ws, methods);
}

const heal = (ws: string) => faults.delete(ws);

/**
 * What workerd throws at the call site, with the flags it sets on Durable Object errors:
 * `overloaded`, `retryable`, and `remote` on an exception the object's own code threw.
 */
const overloaded = () =>
  Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), {
    overloaded: true,
    retryable: false,
  });
const transient = () => Object.assign(new Error("Network connection lost."), { retryable: true });
const bug = () =>
  Object.assign(new TypeError("Cannot read properties of undefined (reading 'used')"), {
    remote: true,
  });

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
  expect(logged).toHaveBeenLastCalledWith(`workspace object ${fault}`, expect.any(Error));
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
      injectFault(ws, "checkCredits", make);
      // The fast lane asks for the check already serialized.
      injectFault(ws, "checkCreditsJson", make);
      injectFault(ws, "consumeCredits", make);
      expectUnavailable(await spend(ws, "check"), fault);
      expectUnavailable(await spend(ws, "consume"), fault);
      expectUnavailable(await spend(ws, "consume", `k-${fault}`), fault);
      heal(ws);
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
    injectFault(ws, "usage", overloaded);
    injectFault(ws, "reserveCredits", transient);
    injectFault(ws, "createEntity", bug);
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
    heal(ws);
    expect((await call("GET", `/v1/workspaces/${ws}/usage`)).json.leads.used).toBe(0);
    expect(await pool(ws)).toMatchObject({ used: 0, held: 0 });
  });

  it("lets a caller retry with its key when the object failed after recording the spend: charged once", async () => {
    const ws = await workspace();
    // The debit commits, then its answer is lost: the caller cannot know it was recorded.
    injectFault(ws, "consumeCredits", transient, true);
    expectUnavailable(await spend(ws, "consume", "after-commit"), "retryable");
    heal(ws);
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
