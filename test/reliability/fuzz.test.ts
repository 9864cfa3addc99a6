import { env } from "cloudflare:test";
import { Validator } from "@cfworker/json-schema";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../../src/errors";
import { freshWorkspace, token } from "../support/helpers";
import { reportFigures } from "./figures";
import { seedFrom } from "./rng";
import {
  type Document,
  mutated,
  type Operation,
  operations,
  type Parameter,
  resolve,
  type Schema,
  valid,
} from "./schemaArbitrary";
import { type Answer, dump, errorShapeProblem, send, servedDocument } from "./worker";

/**
 * Fuzzing from the schemas: every route of the served OpenAPI document gets generated requests
 * (valid-shaped values and values with one defect, in its path, query and body) and a fixed set
 * of hostile ones (deep nesting, 1 MB bodies, wrong content types, duplicated keys, odd numbers
 * and strings, path traversal), each with and without an Idempotency-Key. Every answer must be
 * below 500; every 4xx must have the error shape; a body or path the schema refuses must not be
 * accepted; and a refused call (or any read) must leave the workspace's storage byte for byte
 * as it was.
 */
const SEED = seedFrom((env as { RELIABILITY_SEED?: string }).RELIABILITY_SEED);
const RUNS_PER_ROUTE = 40;

let doc: Document;
let ops: Operation[];
let star: string;
beforeAll(async () => {
  doc = await servedDocument();
  ops = operations(doc);
  // A platform token for every workspace, so a fuzzed {ws} reaches validation.
  star = await token("*", "platform");
});

/** Replaces every $ref, so the validator sees one self-contained schema. */
function inline(schema: Schema, depth = 0): Schema {
  if (depth > 20 || typeof schema !== "object" || schema === null) return schema;
  const s = resolve(doc, schema);
  const out: Schema = Array.isArray(s) ? [] : {};
  for (const [k, v] of Object.entries(s)) {
    out[k] = typeof v === "object" && v !== null ? inline(v as Schema, depth + 1) : v;
  }
  return out;
}

const accepts = (schema: Schema, value: unknown) =>
  new Validator(inline(schema), "2020-12", false).validate(value).valid;

/** Path segments a client might send, already in their URL form. */
const HOSTILE_SEGMENTS = [
  "..",
  "%2E%2E",
  "..%2F..%2Fsubscription",
  "%2F",
  "a".repeat(300),
  "%C3%BC%E2%9C%93",
  "%00",
  "-1",
  "1e309",
  "%F0%9F%98%80".repeat(40),
  "%20",
  "%ZZ",
  "%",
  ";",
];
const HOSTILE_QUERY = ["-1", "abc", "1e99", "0", "NaN", "0.5", "%00", "x".repeat(300), "%ZZ"];

interface Sent {
  method: string;
  url: string;
  body?: string;
  contentType?: string;
  key?: string;
  /** False when the path or body is one the schema refuses: it must not be a 2xx. */
  schemaValid: boolean;
  label: string;
}

const pathParams = (op: Operation) => op.parameters.filter((p) => p.in === "path");
const queryParams = (op: Operation) => op.parameters.filter((p) => p.in === "query");

/** A generated request for an operation: path, query and body from its schemas. */
function requestArbitrary(op: Operation, ws: string): fc.Arbitrary<Omit<Sent, "key">> {
  const segment = (p: Parameter): fc.Arbitrary<{ raw: string; ok: boolean }> => {
    const good = valid(doc, p.schema).map((v) => ({
      raw: encodeURIComponent(String(v)),
      ok: true,
    }));
    if (p.name === "ws") {
      return fc.oneof(
        { arbitrary: fc.constant({ raw: ws, ok: true }), weight: 9 },
        fc.constantFrom(...HOSTILE_SEGMENTS).map((raw) => ({ raw, ok: false })),
      );
    }
    return fc.oneof(
      { arbitrary: good, weight: 4 },
      fc.constantFrom(...HOSTILE_SEGMENTS).map((raw) => ({ raw, ok: false })),
    );
  };
  const query = (p: Parameter): fc.Arbitrary<{ text: string; ok: boolean } | null> =>
    fc.oneof(
      fc.constant(null),
      valid(doc, p.schema).map((v) => ({
        text: `${p.name}=${encodeURIComponent(String(v))}`,
        ok: true,
      })),
      fc
        .constantFrom(...HOSTILE_QUERY)
        .map((v) => ({ text: `${p.name}=${v}`, ok: queryValid(p, v) })),
    );
  const params = fc.tuple(...pathParams(op).map(segment));
  const queries = fc.tuple(...queryParams(op).map(query));
  const body: fc.Arbitrary<{ value: unknown } | undefined> =
    op.body === undefined
      ? fc.constant(undefined)
      : fc
          .oneof(valid(doc, op.body), { arbitrary: mutated(doc, op.body), weight: 2 })
          .map((value) => ({ value }));
  return fc.tuple(params, queries, body).map(([segments, qs, b]) => {
    let i = 0;
    const path = op.path.replace(/\{(\w+)\}/g, () => segments[i++]?.raw ?? "x");
    const given = qs.filter((x) => x !== null);
    const q = given.map((x) => x.text).join("&");
    const pathOk = segments.every((s, n) => {
      if (!s.ok) {
        // A hostile segment may still be one the schema allows (e.g. "-1" as an id).
        const p = pathParams(op)[n] as Parameter;
        try {
          return accepts(p.schema, decodeURIComponent(s.raw));
        } catch {
          return false;
        }
      }
      return true;
    });
    const bodyOk = op.body === undefined || b === undefined || accepts(op.body, b.value);
    return {
      method: op.method,
      url: `${path}${q === "" ? "" : `?${q}`}`,
      ...(b !== undefined && {
        body: JSON.stringify(b.value) ?? "null",
        contentType: "application/json",
      }),
      schemaValid: pathOk && bodyOk && given.every((x) => x.ok),
      label: "generated",
    };
  });
}

/**
 * Whether a raw body is one the route's schema accepts: JSON (by its content type, whose
 * charset parameter is not judged) that the schema validates. A route without a body schema
 * takes no body, so it has no rule to break beyond answering below 500.
 */
function bodyValid(op: Operation, body: string, contentType: string | undefined): boolean {
  if (op.body === undefined) return true;
  if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) return false;
  try {
    return accepts(op.body, JSON.parse(body));
  } catch {
    return false;
  }
}

/** Whether a raw query value is one the parameter's schema accepts (numbers come as text). */
function queryValid(p: Parameter, raw: string): boolean {
  let value: unknown;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return false;
  }
  const type = resolve(doc, p.schema).type;
  if (type === "integer" || type === "number") {
    if (!/^-?\d+(\.\d+)?(e\d+)?$/i.test(String(value))) return false;
    value = Number(value);
  }
  return accepts(p.schema, value);
}

const nested = (depth: number, open: string, close: string) =>
  `${open.repeat(depth)}${close.repeat(depth)}`;

/** The fixed hostile cases for an operation, on its own workspace with valid path values. */
function hostileCases(op: Operation, ws: string): Omit<Sent, "key">[] {
  const sample = <T>(arb: fc.Arbitrary<T>): T => fc.sample(arb, { numRuns: 1, seed: SEED })[0] as T;
  const path = op.path.replace(/\{(\w+)\}/g, (_, name) => {
    if (name === "ws") return ws;
    const p = pathParams(op).find((x) => x.name === name) as Parameter;
    return encodeURIComponent(String(sample(valid(doc, p.schema))));
  });
  const cases: Omit<Sent, "key">[] = [];
  const add = (label: string, c: Partial<Sent>) =>
    cases.push({
      method: op.method,
      url: path,
      label,
      schemaValid: c.body === undefined ? false : bodyValid(op, c.body, c.contentType),
      ...c,
    });
  if (op.method === "GET") {
    for (const p of queryParams(op)) {
      for (const v of HOSTILE_QUERY) {
        add(`query ${p.name}=${v.slice(0, 20)}`, {
          url: `${path}?${p.name}=${v}`,
          schemaValid: queryValid(p, v),
        });
      }
      // Which of the two counts is the server's choice: only the error rules apply.
      add(`query ${p.name} twice`, { url: `${path}?${p.name}=1&${p.name}=abc`, schemaValid: true });
    }
    add("path traversal", { url: `${path}/..%2F..%2Fsubscription` });
    return cases;
  }
  const json = "application/json";
  const validBody = op.body === undefined ? undefined : sample(valid(doc, op.body));
  const text = validBody === undefined ? "{}" : JSON.stringify(validBody);
  add("deep array nesting", { body: nested(5_000, "[", "]"), contentType: json });
  add("deep object nesting", {
    body: `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`,
    contentType: json,
  });
  add("moderate nesting", { body: nested(200, "[", "]"), contentType: json });
  add("1 MB body", { body: JSON.stringify({ id: "a".repeat(1 << 20) }), contentType: json });
  for (const type of [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/json; charset=utf-16",
  ]) {
    add(`content type ${type}`, { body: text, contentType: type });
  }
  add("no content type", { body: text });
  for (const raw of ["{", "[1,]", "\u0000", "\ufeff{}", "null", "[]", '"text"', "42", "true"]) {
    add(`body ${JSON.stringify(raw)}`, { body: raw, contentType: json });
  }
  add("__proto__", { body: '{"__proto__":{"admin":true}}', contentType: json });
  add("constructor", { body: '{"constructor":{"prototype":{"admin":true}}}', contentType: json });
  if (validBody !== null && typeof validBody === "object" && !Array.isArray(validBody)) {
    const inner = text.slice(1, -1);
    for (const key of Object.keys(validBody)) {
      // The same key twice: JSON.parse keeps the last, so the hostile one must be refused.
      add(`duplicated ${key}`, { body: `{${inner},"${key}":-1}`, contentType: json });
      for (const n of ["1e400", "-0", "1.0000000000000002", "9007199254740993", "-1e400"]) {
        add(`${key}=${n}`, {
          body: JSON.stringify({ ...validBody, [key]: 0 }).replace(`"${key}":0`, `"${key}":${n}`),
          contentType: json,
        });
      }
    }
  }
  return cases;
}

interface Failure {
  sent: Sent;
  status: number;
  why: string;
}

async function fire(s: Sent): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (s.contentType !== undefined) headers["content-type"] = s.contentType;
  if (s.key !== undefined) headers["idempotency-key"] = s.key;
  return send(s.method, s.url, { token: star, body: s.body, headers });
}

/** Sends each request and judges it; answers how many were sent, the 5xx and the failures. */
async function judgeAll(ws: string, requests: Sent[]) {
  const failures: Failure[] = [];
  let fiveHundreds = 0;
  let before = await dump(ws);
  for (const s of requests) {
    const r = await fire(s);
    const fail = (why: string) => failures.push({ sent: s, status: r.status, why });
    if (r.status >= 500) {
      fiveHundreds++;
      fail(`answered ${r.status} ${r.text.slice(0, 120)}`);
    } else if (r.status >= 400) {
      const problem = errorShapeProblem(r, ERROR_STATUS);
      if (problem !== null) fail(`a ${r.status} without the error shape: ${problem}`);
    } else if (!s.schemaValid) {
      fail(`accepted (${r.status}) what the schema refuses`);
    }
    const after = await dump(ws);
    if ((r.status >= 400 || s.method === "GET") && after !== before) {
      fail(`a ${s.method === "GET" ? "read" : "refused call"} (${r.status}) changed the workspace`);
    }
    before = after;
  }
  return { sent: requests.length, fiveHundreds, failures };
}

const describeFailure = (f: Failure) =>
  `${f.sent.label}: ${f.sent.method} ${f.sent.url.slice(0, 100)} ${f.sent.key ? "(with key) " : ""}${(f.sent.body ?? "").slice(0, 60)} → ${f.status}: ${f.why}`;

/** Each request without a key, and a mutating one again with a fresh key. */
function withAndWithoutKey(requests: Omit<Sent, "key">[], prefix: string): Sent[] {
  return requests.flatMap((r, i) =>
    r.method === "GET" ? [r] : [r, { ...r, key: `${prefix}-${i}` }],
  );
}

async function freshSubscribed(): Promise<string> {
  const ws = freshWorkspace("fuzz");
  const clock = await send("PUT", `/v1/workspaces/${ws}/test-clock`, {
    token: star,
    body: JSON.stringify({ now: "2026-07-20T00:00:00Z" }),
    headers: { "content-type": "application/json" },
  });
  expect(clock.status).toBe(200);
  const sub = await send("PUT", `/v1/workspaces/${ws}/subscription`, {
    token: star,
    body: JSON.stringify({ plan: "pro", seats: 3, periodAnchor: "2026-07-15T00:00:00Z" }),
    headers: { "content-type": "application/json" },
  });
  expect(sub.status).toBe(200);
  return ws;
}

describe("fuzzing from the schemas", () => {
  it(`generated requests on every route answer below 500, in the error shape, and a refused one changes nothing (seed ${SEED})`, {
    timeout: 240_000,
  }, async (ctx) => {
    expect(ops.length).toBeGreaterThan(20);
    let sent = 0;
    let fiveHundreds = 0;
    const failures: Failure[] = [];
    for (const [n, op] of ops.entries()) {
      const ws = await freshSubscribed();
      const samples = fc.sample(requestArbitrary(op, ws), {
        numRuns: RUNS_PER_ROUTE,
        seed: SEED + n,
      });
      // Half of the mutating ones carry a key (a fresh one each, so none is a replay).
      const requests: Sent[] = samples.map((s, i) =>
        s.method !== "GET" && i % 2 === 1 ? { ...s, key: `fz-${n}-${i}` } : s,
      );
      const result = await judgeAll(ws, requests);
      sent += result.sent;
      fiveHundreds += result.fiveHundreds;
      failures.push(...result.failures);
    }
    reportFigures(
      ctx,
      { inputsFuzzed: sent, requestsIssued: sent, fiveHundredsSeen: fiveHundreds },
      `fuzz (generated): ${ops.length} routes, ${sent} requests, ${failures.length} failures`,
    );
    expect(failures.map(describeFailure)).toEqual([]);
  });

  it("hostile cases on every route, with and without an Idempotency-Key, answer below 500 and change nothing", {
    timeout: 240_000,
  }, async (ctx) => {
    let sent = 0;
    let fiveHundreds = 0;
    const failures: Failure[] = [];
    for (const [n, op] of ops.entries()) {
      const ws = await freshSubscribed();
      const result = await judgeAll(ws, withAndWithoutKey(hostileCases(op, ws), `hz-${n}`));
      sent += result.sent;
      fiveHundreds += result.fiveHundreds;
      failures.push(...result.failures);
    }
    const fiveXX = failures.filter((f) => f.status >= 500);
    reportFigures(
      ctx,
      { inputsFuzzed: sent, requestsIssued: sent, fiveHundredsSeen: fiveHundreds },
      `fuzz (hostile): ${sent} requests, ${failures.length} failures${
        fiveXX.length > 0
          ? `; 5xx on: ${[...new Set(fiveXX.map((f) => f.sent.label))].join(", ")}`
          : ""
      }`,
    );
    expect(failures.map(describeFailure)).toEqual([]);
  });
});
