import {
  createRoute,
  type OpenAPIHono,
  type RouteConfig,
  type RouteHandler,
  type z,
} from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { hasRole } from "../auth";
import { ApiError, ERROR_STATUS, type ErrorCode, errorResponses, invalid } from "../errors";
import type { AppEnv } from "../hono";
import { IDEMPOTENCY_KEY_PATTERN, IdempotencyHeader, WorkspaceParams } from "../schemas/common";
import type { Role } from "../workspace/context";
import type { Reply } from "../workspace/object";

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

/** JSON with object keys sorted, so equal bodies fingerprint equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a mutating call's body once: it must be empty or JSON, and it feeds the fingerprint. */
async function readBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return null;
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw invalid([{ path: "Content-Type", message: "must be application/json" }]);
  }
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
 * Idempotency-Key, which the workspace object uses to answer a retry exactly once.
 */
export function allow(roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const claims = c.get("claims");
    if (!hasRole(claims, roles)) {
      throw new ApiError("forbidden", `This call needs one of the roles: ${roles.join(", ")}.`);
    }
    if (!MUTATING.has(c.req.method)) {
      c.set("call", { role: claims.role });
      return next();
    }
    const body = await readBody(c);
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalid([
        { path: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" },
      ]);
    }
    // The route and its decoded path parameters name the call, not the raw URL: a retry that
    // percent-encodes an id differently (`rsv%5F1` for `rsv_1`) is the same call, a replay.
    const fingerprint =
      key === undefined
        ? undefined
        : await sha256Hex(
            `${c.req.method} ${c.req.routePath} ${canonical(c.req.param())}\n${canonical(body)}`,
          );
    c.set("call", { role: claims.role, idempotencyKey: key, fingerprint });
    return next();
  };
}

export const workspaceOf = (c: Context<AppEnv>) =>
  c.env.WORKSPACE.getByName(c.req.param("ws") ?? "");

/** Maps an object's outcome to HTTP: the value with `status`, or the error shape. */
export function reply<T>(c: Context<AppEnv>, outcome: Reply<T>, status: 200 | 201 = 200): Response {
  if (outcome.replayed) c.header("Idempotent-Replayed", "true");
  if (outcome.ok) return c.json(outcome.value as object, status);
  return c.json({ error: outcome.error }, ERROR_STATUS[outcome.error.code]);
}

/** A required JSON request body: required, so a missing or non-JSON body fails validation. */
const jsonBody = <S>(schema: S) => ({
  required: true as const,
  content: { "application/json": { schema } },
});

const jsonResponse = <S>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const bearer = [{ bearer: [] }];

/** What a route may take as its path or query parameters: an object schema. */
type ParamsSchema = NonNullable<NonNullable<RouteConfig["request"]>["params"]>;

interface WorkspaceRouteSpec<
  M extends "get" | "post" | "put" | "delete",
  P extends string,
  Res extends z.ZodType,
  Params extends ParamsSchema,
  Query extends ParamsSchema | undefined,
  Body extends z.ZodType | undefined,
> {
  method: M;
  path: P;
  tags: string[];
  summary: string;
  description?: string;
  roles: readonly Role[];
  /** Runs before the role check, e.g. to hide a route that is switched off. */
  before?: MiddlewareHandler<AppEnv>[];
  /** Defaults to the workspace alone. */
  params?: Params;
  query?: Query;
  body?: Body;
  response: readonly [schema: Res, description: string];
  /** The route's own codes, beyond those every workspace route can answer. */
  errors?: readonly ErrorCode[];
  /** A mutating call that does not go through the idempotency ledger must not promise replays. */
  idempotent?: false;
  /** For the call that creates the workspace: it cannot answer "no such workspace". */
  createsWorkspace?: true;
}

/** Absent parts are typed `undefined`, so the handler gets no `valid("query")` or `valid("json")`. */
type WorkspaceRequest<
  Params extends ParamsSchema,
  Query extends ParamsSchema | undefined,
  Body extends z.ZodType | undefined,
> = {
  params: Params;
  query: Query;
  headers?: typeof IdempotencyHeader;
  body: Body extends z.ZodType ? ReturnType<typeof jsonBody<Body>> : undefined;
};

/**
 * A workspace route's config for `serve`: bearer auth, the role check, the workspace in the
 * path, a required JSON body, the 200 answer and every error code the route can answer. A
 * mutating call also offers Idempotency-Key, which `allow` and the workspace object honour.
 */
export function workspaceRoute<
  const M extends "get" | "post" | "put" | "delete",
  const P extends string,
  Res extends z.ZodType,
  Params extends ParamsSchema = typeof WorkspaceParams,
  Query extends ParamsSchema | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
>(spec: WorkspaceRouteSpec<M, P, Res, Params, Query, Body>) {
  const { method, path, tags, summary, description, roles, query, body, response } = spec;
  const idempotent = method !== "get" && spec.idempotent !== false;
  const request = {
    params: spec.params ?? WorkspaceParams,
    ...(query && { query }),
    ...(idempotent && { headers: IdempotencyHeader }),
    ...(body && { body: jsonBody(body) }),
  } as WorkspaceRequest<Params, Query, Body>;
  const errors: ErrorCode[] = ["invalid_request", "forbidden"];
  if (!spec.createsWorkspace) errors.push("not_found");
  if (idempotent) errors.push("idempotency_conflict");
  return createRoute({
    method,
    path,
    tags,
    summary,
    ...(description !== undefined && { description }),
    security: bearer,
    // Who may call it, in the document: the authorization tests are generated from it.
    "x-roles": roles,
    middleware: [...(spec.before ?? []), allow(roles)],
    request,
    responses: {
      200: jsonResponse(response[0], response[1]),
      ...errorResponses(...errors, ...(spec.errors ?? [])),
    },
  });
}

type RouteContext<R extends RouteConfig> = Parameters<RouteHandler<R, AppEnv>>[0];

/**
 * Registers a route whose handler asks the workspace object and answers its outcome. The
 * request is typed and validated by the route's schemas; the answer is the object's value.
 */
export function serve<R extends RouteConfig>(
  app: OpenAPIHono<AppEnv>,
  route: R,
  run: (c: RouteContext<R>) => Promise<Reply<unknown>> | Reply<unknown>,
  status: 200 | 201 = 200,
): void {
  const handler = async (c: RouteContext<R>) => reply(c, await run(c), status);
  app.openapi(route, handler as unknown as RouteHandler<R, AppEnv>);
}
