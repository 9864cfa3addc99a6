import { env, runInDurableObject, SELF } from "cloudflare:test";
import type { Document } from "./schemaArbitrary";

/** Helpers for the reliability tests that run inside workerd. */

export interface Answer {
  status: number;
  /** The response's x-request-id (every response carries one). */
  requestId: string | null;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers of many shapes are read loosely
  json: any;
}

/** One raw call through the Worker's fetch: the body is sent exactly as given. */
export async function send(
  method: string,
  path: string,
  opts: { token?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const response = await SELF.fetch(`https://quota.test${path}`, {
    method,
    headers,
    body: opts.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, requestId: response.headers.get("x-request-id"), text, json };
}

/** The document the Worker serves: the route table the tests are generated from. */
export async function servedDocument(): Promise<Document> {
  const r = await send("GET", "/openapi.json");
  if (r.status !== 200) throw new Error(`/openapi.json answered ${r.status}`);
  return r.json as Document;
}

/**
 * Everything a workspace object has stored, table by table: two equal dumps mean the calls
 * between them changed nothing.
 */
export function dump(ws: string): Promise<string> {
  return runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
      )
      .toArray()
      .map((t) => t.name);
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      out[table] = sql.exec(`SELECT * FROM "${table}"`).toArray();
    }
    return JSON.stringify(out);
  });
}

/**
 * The error shape every 4xx must have: `{ error: { code, message, details?, requestId } }`, the
 * request id equal to the response's x-request-id.
 */
export function errorShapeProblem(answer: Answer, codes: Record<string, number>): string | null {
  const error = answer.json?.error;
  if (typeof error !== "object" || error === null) return "no error object";
  if (typeof error.code !== "string" || !(error.code in codes)) return `unknown code ${error.code}`;
  if (codes[error.code] !== answer.status) return `code ${error.code} with status ${answer.status}`;
  if (typeof error.message !== "string" || error.message === "") return "no message";
  if (typeof error.requestId !== "string" || error.requestId === "") return "no requestId";
  if (error.requestId !== answer.requestId) {
    return `requestId ${error.requestId} is not the x-request-id ${answer.requestId}`;
  }
  const extra = Object.keys(error).filter(
    (k) => !["code", "message", "details", "requestId"].includes(k),
  );
  if (extra.length > 0) return `unexpected fields ${extra.join(", ")}`;
  return null;
}
