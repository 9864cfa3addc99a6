import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import { sign } from "hono/jwt";
import { afterEach, beforeEach, vi } from "vitest";
import worker from "../../src/index";
import type { Role } from "../../src/workspace/context";
import { checkAnswerAgainstOpenApi } from "./openapiCheck";
import { TEST_AUTH_SECRET } from "./secret";

let counter = 0;
/** A workspace id no other test uses, so tests never see each other's state. */
export const freshWorkspace = (prefix = "ws") =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** The path of workspace `ws`'s routes. */
export const api = (ws: string) => `/v1/workspaces/${ws}`;

export async function token(
  ws: string,
  role: Role,
  opts: { secret?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + (opts.expiresInSeconds ?? 3600);
  return sign({ ws, role, exp }, opts.secret ?? TEST_AUTH_SECRET, "HS256");
}

export interface CallOptions {
  token?: string;
  role?: Role;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Calls the Worker the way a client would: through its fetch, with a bearer token. */
export async function call(method: string, path: string, opts: CallOptions = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  const ws = /^\/v1\/workspaces\/([^/]+)/.exec(path)?.[1] ?? "*";
  const bearer = opts.token ?? (await token(ws, opts.role ?? "platform"));
  if (bearer !== "") headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await SELF.fetch(`https://quota.test${path}`, { method, headers, body });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers of many shapes
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json !== undefined) await checkAnswerAgainstOpenApi(method, path, response.status, json);
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * A platform call through the Worker's own fetch with some of its bindings replaced (a D1 that
 * fails, the catalogue's fan-out off): what `call` cannot do, since SELF has the test's env.
 * Waits for everything the call left running before answering.
 */
export async function platformWith(
  bindings: Partial<typeof env>,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers of many shapes
): Promise<{ status: number; headers: Headers; json: any }> {
  const ctx = createExecutionContext();
  const request = new Request<unknown, IncomingRequestCfProperties>(`https://quota.test${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await token("*", "platform")}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const response = await worker.fetch(request, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, json: await response.json() };
}

export const subscribe = (
  ws: string,
  subscription: Record<string, unknown> = {
    plan: "pro",
    seats: 3,
    periodAnchor: "2026-07-15T00:00:00.000Z",
  },
) => call("PUT", `${api(ws)}/subscription`, { body: subscription });

export const setClock = (ws: string, now: string) =>
  call("PUT", `${api(ws)}/test-clock`, { body: { now } });

/**
 * How far ahead of the real clock `freezeTime` sets Date: far enough that workerd never rings
 * an alarm by itself while a test runs (alarms are armed at instants of the frozen clock, which
 * workerd schedules on the real one), near enough that a webhook's signed timestamp stays
 * within the receiver's five-minute tolerance.
 */
const FROZEN_AHEAD_MS = 2 * 60 * 1000;

/**
 * Freezes Date for each test of the calling file or describe block. The Worker and its objects
 * run in the tests' isolate, so they read this clock too: a test moves it with `advanceTime`
 * and rings alarms itself (`settledAlarm`, `runDurableObjectAlarm`), never waiting on the real
 * clock. Only Date is faked; timers and I/O stay real.
 */
export function freezeTime(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + FROZEN_AHEAD_MS });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Moves the frozen clock to `at` (an instant, not before now). */
export function advanceTimeTo(at: number): void {
  if (!vi.isFakeTimers()) throw new Error("advanceTimeTo needs freezeTime()");
  if (at < Date.now()) throw new Error("time only moves forward");
  vi.setSystemTime(at);
}

/**
 * The object's alarm once it points at a future deadline: an alarm due now (a mutation that
 * moves a deadline earlier than the due index has it arms the alarm for now, to report to the
 * index) is rung here, as workerd would, until the alarm left armed lies ahead. Needs
 * `freezeTime()`, so that workerd itself rings nothing meanwhile.
 */
export async function settledAlarm(ws: string): Promise<number | null> {
  if (!vi.isFakeTimers()) throw new Error("settledAlarm needs freezeTime()");
  const stub = env.WORKSPACE.getByName(ws);
  for (let ring = 0; ring < 10; ring++) {
    const at = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    if (at === null || at > Date.now()) return at;
    await runDurableObjectAlarm(stub);
  }
  throw new Error(`the alarm of ${ws} is still due after ten rings`);
}
