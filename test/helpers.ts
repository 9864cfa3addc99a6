import { env, runInDurableObject, SELF } from "cloudflare:test";
import { sign } from "hono/jwt";
import type { Role } from "../src/workspace/context";
import { checkAnswerAgainstOpenApi } from "./openapiCheck";
import { TEST_AUTH_SECRET } from "./secret";

let counter = 0;
/** A workspace id no other test uses, so tests never see each other's state. */
export const freshWorkspace = (prefix = "ws") =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

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

export const subscribe = (
  ws: string,
  subscription: Record<string, unknown> = {
    plan: "pro",
    seats: 3,
    periodAnchor: "2026-07-15T00:00:00.000Z",
  },
) => call("PUT", `/v1/workspaces/${ws}/subscription`, { body: subscription });

export const setClock = (ws: string, now: string) =>
  call("PUT", `/v1/workspaces/${ws}/test-clock`, { body: { now } });

/**
 * The object's alarm once it points at a real deadline. A mutation that moves a deadline earlier
 * than the due index has it sets the alarm to fire at once (to report to the index); this waits
 * for workerd to run that alarm and answers the alarm it leaves armed.
 */
export async function settledAlarm(ws: string): Promise<number | null> {
  const stub = env.WORKSPACE.getByName(ws);
  // While an alarm runs, getAlarm() answers null; only a null that stays null means "none".
  let nulls = 0;
  for (let attempt = 0; attempt < 300; attempt++) {
    const at = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    if (at !== null && at > Date.now()) return at;
    nulls = at === null ? nulls + 1 : 0;
    if (nulls >= 10) return null;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the alarm of ${ws} did not settle`);
}
