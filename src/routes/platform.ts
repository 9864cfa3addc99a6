import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { hasRole } from "../claims";
import type { Env } from "../env";
import { ApiError, errorResponses, roleRefused } from "../errors";
import type { AppEnv } from "../hono";
import {
  type AnyPlatformOperation,
  fleetDatabase,
  PLATFORM_ROLES,
  type PlatformContext,
  type PlatformInput,
  platformErrorCodes,
  runPlatform,
} from "../operations/platform";
import type { FanOutProgress } from "../policy/fanOut";
import { boundedBody, okResponse } from "./shared";
import type { PlatformRouteEntry } from "./table";

/**
 * The platform routes (the fleet's and the catalogue's, src/operations/platform.ts): the same
 * table-driven registration as a workspace operation's (shared.ts `register`), with the gate of
 * an operation over every workspace: only a platform token for `ws: "*"`, whatever the role of
 * a token scoped to one workspace (403 like any call outside its workspace), then the body gate
 * every route has.
 */
export const platformOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = c.get("claims");
  if (!hasRole(claims, PLATFORM_ROLES)) {
    const refusal = roleRefused(PLATFORM_ROLES);
    throw new ApiError(refusal.code, refusal.message, refusal.details);
  }
  if (claims.ws !== "*") {
    throw new ApiError(
      "forbidden",
      'The fleet covers every workspace: this call needs a platform token for ws "*".',
      { reason: "not_every_workspace" },
    );
  }
  c.set("call", { role: claims.role });
  await next();
};

/**
 * The catalogue's fan-out as the platform routes reach it (src/cron/catalogue.ts), given by
 * src/api.ts: `announce` tells every due index shard of a change and never rejects; `progress`
 * reads how far the shards have come.
 */
export interface CatalogueFanOut {
  announce: (env: Env) => Promise<number>;
  progress: (env: Env) => Promise<FanOutProgress>;
}

/** An operation's HTTP route config: bearer auth, the gates, its schemas, answers and errors. */
function platformRoute(
  op: AnyPlatformOperation,
  method: PlatformRouteEntry["method"],
  path: string,
) {
  return createRoute({
    method,
    path,
    tags: op.tags,
    summary: op.summary,
    ...(op.description !== undefined && { description: op.description }),
    security: [{ bearer: [] }],
    "x-roles": [...PLATFORM_ROLES],
    middleware: [platformOnly, boundedBody],
    request: {
      ...(op.params && { params: op.params }),
      ...(op.query && { query: op.query }),
      ...(op.body && {
        body: {
          required: op.bodyOptional !== true,
          content: { "application/json": { schema: op.body } },
        },
      }),
    },
    responses: {
      200: okResponse(op),
      ...errorResponses(...platformErrorCodes(op)),
    },
  });
}

/** What `c.req.valid` gives a handler whose route the loop typed only loosely. */
type Validated = { valid(target: "param" | "query" | "json"): never };

/** Registers a platform route of the table: its OpenAPI route and the handler running it. */
export function registerPlatform(
  app: OpenAPIHono<AppEnv>,
  { op, method, path }: PlatformRouteEntry,
  fanOut: CatalogueFanOut,
): void {
  const handler = async (c: Context<AppEnv>) => {
    const req = c.req as unknown as Validated;
    const input = {
      params: op.params ? req.valid("param") : {},
      query: op.query ? req.valid("query") : undefined,
      body: op.body ? req.valid("json") : undefined,
    };
    const ctx: PlatformContext = {
      env: c.env,
      db: fleetDatabase(c.env),
      now: Date.now,
      announce: async () => {
        // "off": a publish tells no workspace (the tests of a lost fan-out).
        if (c.env.CATALOGUE_FAN_OUT !== "off") await fanOut.announce(c.env);
      },
      fanOutProgress: () => fanOut.progress(c.env),
    };
    const answer = await runPlatform(op, ctx, input as PlatformInput<never, never, never>);
    if ("csv" in answer) {
      return c.body(answer.csv, 200, { "content-type": "text/csv; charset=utf-8" });
    }
    return c.json(answer.json, 200);
  };
  app.openapi(platformRoute(op, method, path), handler as never);
}
