import fc from "fast-check";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { CAN, MAX_TOKEN_LIFETIME_SECONDS, ROLES } from "../../src/auth";
import { ERROR_STATUS } from "../../src/errors";
import { freshWorkspace } from "../support/helpers";
import { TEST_AUTH_SECRET } from "../support/secret";
import { reportFigures } from "./figures";
import { type Operation, operations, type Parameter, valid } from "./schemaArbitrary";
import { type Answer, errorShapeProblem, send, servedDocument } from "./worker";

/**
 * The authorization matrix, generated: every route of the served OpenAPI document (with the
 * roles its `x-roles` names, which the route builder writes from the code's own role map) ×
 * every role × its own workspace, another one and `*` × every kind of bad token, each with its
 * exact expected status (docs/rules.md, "Answers, errors and callers"). A new route is covered
 * without editing this file.
 *
 * The request is the same for every token: valid path values and, for a mutating call, a body
 * that is not JSON. So an authorized caller gets exactly what the route answers after the
 * role check (a 400 for the body; for a read, the answer the platform gets), an unauthorized
 * one a 403, and a bad token a 401, all before anything is changed.
 *
 * A route without `{ws}` (the fleet index, /v1/fleet/*) covers every workspace: its reference
 * is a platform token for `*`, and a token for one workspace, own or other, whatever its role,
 * gets 403.
 */
const DAY_S = 24 * 3600;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

type TokenKind =
  | "own"
  | "other"
  | "star"
  | "expired"
  | "forged"
  | "alg-none"
  | "HS512"
  | "over-long-lifetime";

const TOKEN_KINDS: TokenKind[] = [
  "own",
  "other",
  "star",
  "expired",
  "forged",
  "alg-none",
  "HS512",
  "over-long-lifetime",
];

async function mint(kind: TokenKind, role: string, ws: string, other: string): Promise<string> {
  const claims = (w: string, lifetime = 3600) => ({ ws: w, role, exp: now() + lifetime });
  switch (kind) {
    case "own":
      return sign(claims(ws), TEST_AUTH_SECRET, "HS256");
    case "other":
      return sign(claims(other), TEST_AUTH_SECRET, "HS256");
    case "star":
      return sign(claims("*"), TEST_AUTH_SECRET, "HS256");
    case "expired":
      return sign(claims(ws, -60), TEST_AUTH_SECRET, "HS256");
    case "forged":
      return sign(claims(ws), "not-the-secret-0123456789abcdef", "HS256");
    case "alg-none":
      return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims(ws))}.`;
    case "HS512":
      return sign(claims(ws), TEST_AUTH_SECRET, "HS512");
    case "over-long-lifetime":
      return sign(claims(ws, MAX_TOKEN_LIFETIME_SECONDS + DAY_S), TEST_AUTH_SECRET, "HS256");
  }
}

/**
 * The status a token of `kind` and `role` must get, given what an authorized call gets;
 * `scoped`: the route names a workspace (`{ws}`), else only `*` reaches it.
 */
function expected(
  kind: TokenKind,
  role: string,
  roles: string[],
  authorized: number,
  scoped: boolean,
): number {
  switch (kind) {
    case "own":
      return scoped && roles.includes(role) ? authorized : 403;
    case "other":
      return 403;
    case "star":
      // Only the platform may carry `*`; any other role with it is refused outright.
      return role === "platform" ? authorized : 401;
    default:
      return 401;
  }
}

let doc: Awaited<ReturnType<typeof servedDocument>>;
let ops: Operation[];
beforeAll(async () => {
  doc = await servedDocument();
  ops = operations(doc);
});

const pathFor = (op: Operation, ws: string) =>
  op.path.replace(/\{(\w+)\}/g, (_, name) => {
    if (name === "ws") return ws;
    const p = op.parameters.find((x) => x.in === "path" && x.name === name) as Parameter;
    return encodeURIComponent(String(fc.sample(valid(doc, p.schema), { numRuns: 1, seed: 7 })[0]));
  });

async function request(op: Operation, path: string, bearer: string | undefined): Promise<Answer> {
  const mutating = op.method !== "GET";
  return send(op.method, path, {
    ...(bearer !== undefined && { token: bearer }),
    ...(mutating && { body: "{", headers: { "content-type": "application/json" } }),
  });
}

describe("authorization matrix", () => {
  it("answers every route × role × workspace × token kind with its exact status", {
    timeout: 240_000,
  }, async (ctx) => {
    expect(ops.length).toBeGreaterThan(20);
    const ws = freshWorkspace("authz");
    const other = freshWorkspace("authz-other");
    const platform = await mint("own", "platform", ws, other);
    const platformStar = await mint("star", "platform", ws, other);
    for (const w of [ws, other]) {
      const sub = await send("PUT", `/v1/workspaces/${w}/subscription`, {
        token: await mint("own", "platform", w, ws),
        body: JSON.stringify({ plan: "pro", seats: 3, periodAnchor: "2026-07-15T00:00:00Z" }),
        headers: { "content-type": "application/json" },
      });
      expect(sub.status).toBe(200);
    }
    const failures: string[] = [];
    const wrongByKind = new Map<string, number>();
    let cases = 0;
    for (const op of ops) {
      const roles = op.roles;
      if (roles === undefined || roles.length === 0) {
        failures.push(`${op.method} ${op.path}: the document names no x-roles`);
        continue;
      }
      for (const r of roles) {
        if (!(ROLES as readonly string[]).includes(r))
          failures.push(`${op.path}: unknown role ${r}`);
      }
      const path = pathFor(op, ws);
      const scoped = op.path.includes("{ws}");
      // What an authorized caller gets: the platform's answer on its own workspace, or for `*`
      // on a route that names no workspace.
      const reference = await request(op, path, scoped ? platform : platformStar);
      const authorized = reference.status;
      const sane = op.method === "GET" ? [200, 404] : [400];
      if (!sane.includes(authorized)) {
        failures.push(`${op.method} ${op.path}: the platform got ${authorized}, not ${sane}`);
        continue;
      }
      const check = (label: string, answer: Answer, want: number) => {
        cases++;
        if (answer.status !== want) {
          const kind = label.split(" ").at(-1) ?? label;
          wrongByKind.set(kind, (wrongByKind.get(kind) ?? 0) + 1);
          failures.push(
            `${op.method} ${op.path} ${label}: ${answer.status} (${answer.json?.error?.message ?? ""}), expected ${want}`,
          );
          return;
        }
        if (want >= 400) {
          const problem = errorShapeProblem(answer, ERROR_STATUS);
          if (problem !== null) failures.push(`${op.method} ${op.path} ${label}: ${problem}`);
        }
      };
      check("without a token", await request(op, path, undefined), 401);
      check(
        "with a malformed header",
        await send(op.method, path, { headers: { authorization: "Basic x" } }),
        401,
      );
      for (const role of ROLES) {
        for (const kind of TOKEN_KINDS) {
          const bearer = await mint(kind, role, ws, other);
          check(
            `${role} ${kind}`,
            await request(op, path, bearer),
            expected(kind, role, roles, authorized, scoped),
          );
        }
      }
    }
    reportFigures(
      ctx,
      { authorizationCasesChecked: cases, requestsIssued: cases + ops.length },
      `authorization: ${ops.length} routes × ${ROLES.length} roles × ${TOKEN_KINDS.length} token kinds + 2 without a token = ${cases} cases, ${failures.length} wrong${
        wrongByKind.size > 0
          ? ` (${[...wrongByKind].map(([k, n]) => `${n} with ${k} tokens`).join(", ")})`
          : ""
      }`,
    );
    expect(failures).toEqual([]);
  });

  it("takes each route's roles from the code's role map", () => {
    // The document's roles are the ones the route builder enforces (CAN in src/auth.ts).
    const known = Object.values(CAN).map((roles) => [...roles].sort().join(","));
    for (const op of ops) {
      expect(known, `${op.method} ${op.path}`).toContain([...(op.roles ?? [])].sort().join(","));
    }
  });
});
