import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { hasRole, type Role } from "../claims";
import { ApiError, errorResponses, invalid, roleRefused } from "../errors";
import type { AppEnv } from "../hono";
import { isJsonMediaType, NOT_JSON_MESSAGE } from "../mediaType";
import { fingerprint } from "../operations/fingerprint";
import type {
  AnyOperation,
  ObjectSchema,
  Operation,
  OperationInput,
} from "../operations/operation";
import { refusalOf } from "../requestLog";
import { replyResponse } from "../respond";
import { IDEMPOTENCY_KEY_PATTERN, IdempotencyHeader } from "../schemas/common";
import type { CallMeta } from "../workspace/context";
import type { RouteEntry } from "./table";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The deepest a request body may nest arrays and objects. Every body of the API is 3 levels deep
 * at most; the bound is checked on the text before anything parses or walks it, so no body can
 * exhaust the stack of a recursive walk (the fingerprint, a validator).
 */
export const MAX_BODY_DEPTH = 32;

/**
 * The deepest nesting of `[`/`{` in JSON text, stopping as soon as it passes `limit`: one pass
 * over the characters, no recursion, skipping strings (with their escapes).
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \\ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/**
 * Reads a mutating call's body once: it must be empty or JSON. Whether its Content-Type is JSON
 * is decided here by `isJsonMediaType`, the same function the preflight's fast lane asks
 * (docs/rules.md, "Answers, errors and callers"). A spelling it accepts is then handed on as
 * plain `application/json`, so the router's own media-type gate, which knows fewer spellings
 * (no blank before `;`, no empty parameter), can never answer otherwise than the fast lane.
 */
async function readBody(c: Context<AppEnv>): Promise<unknown> {
  // Decoded from bytes: `text()` on a body whose type is not text (a refused spelling such as
  // `application/json charset=utf-8`) makes workerd print a warning for every such request.
  const text = new TextDecoder().decode(await c.req.arrayBuffer());
  const type = c.req.header("content-type");
  const json = isJsonMediaType(type);
  if (json && type !== "application/json") {
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    // The body was read (and is cached for the validator); the new request carries it again.
    c.req.raw = new Request(c.req.raw, { headers, body: text });
  }
  if (text.trim() === "") return null;
  if (!json) throw invalid([{ path: "Content-Type", message: NOT_JSON_MESSAGE }]);
  if (jsonDepthExceeds(text, MAX_BODY_DEPTH)) {
    throw invalid([
      {
        path: "(body)",
        message: `nests deeper than ${MAX_BODY_DEPTH} levels of arrays and objects`,
      },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid([{ path: "(body)", message: "is not valid JSON" }]);
  }
}

/**
 * The route-level gate: the caller's role, then, for a mutating call, its body and its
 * Idempotency-Key, which the workspace object uses to answer a retry exactly once (the key is
 * bound to the validated request by `answer`).
 */
export function allow(roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const claims = c.get("claims");
    if (!hasRole(claims, roles)) {
      const refusal = roleRefused(roles);
      throw new ApiError(refusal.code, refusal.message, refusal.details);
    }
    if (!MUTATING.has(c.req.method)) {
      c.set("call", { role: claims.role });
      return next();
    }
    await readBody(c);
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalid([
        { path: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" },
      ]);
    }
    c.set("call", { role: claims.role, idempotencyKey: key });
    return next();
  };
}

/**
 * The body gate alone, for the platform routes (platform.ts): a mutating call's body is
 * read, its media type and nesting bounded, as on every other route, before the validator walks
 * it.
 */
export const boundedBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (MUTATING.has(c.req.method)) await readBody(c);
  await next();
};

/** Refuses the call as the operation's guard says, before the role check. */
const guarded =
  (guard: NonNullable<Operation["guard"]>): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const refused = guard(c.env);
    if (refused !== undefined) throw new ApiError(refused.code, refused.message, refused.details);
    await next();
  };

/** A required JSON request body: required, so a missing or non-JSON body fails validation. */
const jsonBody = <S>(schema: S) => ({
  required: true as const,
  content: { "application/json": { schema } },
});

export const jsonResponse = <S>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** An operation's 200: JSON, and CSV beside it when the operation offers `?format=csv`. */
export const okResponse = <S>(op: { csv?: unknown; response: S; answers: string }) =>
  op.csv
    ? {
        description: op.answers,
        content: {
          "application/json": { schema: op.response },
          "text/csv": { schema: { type: "string" as const } },
        },
      }
    : jsonResponse(op.response, op.answers);

const bearer = [{ bearer: [] }];

/** Absent parts are typed `undefined`, so the handler gets no `valid("query")` or `valid("json")`. */
type RouteRequest<
  Params extends ObjectSchema,
  Query extends ObjectSchema | undefined,
  Body extends z.ZodType | undefined,
> = {
  params: Params;
  query: Query;
  headers?: typeof IdempotencyHeader;
  body: Body extends z.ZodType ? ReturnType<typeof jsonBody<Body>> : undefined;
};

/**
 * An operation's HTTP route config: bearer auth, the operation's guard and role check, the
 * workspace in the path, a required JSON body, the 200 answer and every error code the
 * operation can answer. An idempotent operation offers Idempotency-Key.
 */
export function route<
  const M extends "get" | "post" | "put" | "delete",
  const P extends string,
  Name extends string,
  Res extends z.ZodType,
  Params extends ObjectSchema,
  Query extends ObjectSchema | undefined,
  Body extends z.ZodType | undefined,
>(op: Operation<Name, Res, Params, Query, Body>, method: M, path: P) {
  const { tags, summary, description, query, body } = op;
  const request = {
    params: op.params,
    ...(query && { query }),
    ...(op.idempotent && { headers: IdempotencyHeader }),
    ...(body && { body: jsonBody(body) }),
  } as RouteRequest<Params, Query, Body>;
  return createRoute({
    method,
    path,
    tags,
    summary,
    ...(description !== undefined && { description }),
    security: bearer,
    // Who may call it, in the document: the authorization tests are generated from it.
    "x-roles": op.roles,
    middleware: [...(op.guard ? [guarded(op.guard)] : []), allow(op.roles)],
    request,
    responses: {
      200: okResponse(op),
      ...errorResponses(...op.errorCodes),
    },
  });
}

/**
 * Runs an operation for an HTTP request whose input its route validated, and answers its reply
 * as the fast lane does (src/respond.ts): the value as the 200 body, or the error shape.
 */
export async function answer(
  c: Context<AppEnv>,
  op: AnyOperation,
  input: OperationInput<ObjectSchema, ObjectSchema | undefined, z.ZodType | undefined>,
): Promise<Response> {
  const call = c.get("call");
  const meta: CallMeta = { role: call.role };
  if (op.idempotent && call.idempotencyKey !== undefined) {
    meta.idempotencyKey = call.idempotencyKey;
    meta.fingerprint = await fingerprint(op.name, input);
  }
  const stub = c.env.WORKSPACE.getByName(String(input.params.ws));
  const reply = await op.run(stub, input, meta);
  c.set("reason", reply.ok ? refusalOf(reply.value) : reply.error.code);
  const format = (input.query as { format?: string } | undefined)?.format;
  if (reply.ok && op.csv !== undefined && format === "csv") {
    return new Response(op.csv(reply.value), {
      headers: { "content-type": "text/csv; charset=utf-8" },
    });
  }
  return replyResponse(reply, c.get("requestId"));
}

/** What `c.req.valid` gives a handler whose route the loop below typed only loosely. */
type Validated = { valid(target: "param" | "query" | "json"): never };

/**
 * Registers a route of the table (src/routes/table.ts): its OpenAPI route (gate, schemas,
 * errors) and the handler that runs its operation on the validated input.
 */
export function register(app: OpenAPIHono<AppEnv>, { op, method, path }: RouteEntry): void {
  const handler = (c: Context<AppEnv>) => {
    const req = c.req as unknown as Validated;
    return answer(c, op, {
      params: req.valid("param"),
      ...(op.query && { query: req.valid("query") }),
      ...(op.body && { body: req.valid("json") }),
    });
  };
  app.openapi(route(op, method, path), handler as never);
}
