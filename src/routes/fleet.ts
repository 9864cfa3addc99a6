import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { hasRole, type Role } from "../claims";
import { ApiError, errorResponses, roleRefused } from "../errors";
import { fleetDecisions, fleetSummary, listWorkspaces } from "../fleet";
import type { AppEnv } from "../hono";
import {
  FleetDecisions,
  FleetDecisionsQuery,
  FleetListQuery,
  FleetPage,
  FleetSummary,
} from "../schemas/fleet";

/**
 * The platform's view of every workspace (docs/fleet.md): the summary, the list and the
 * decisions by reason, read from the fleet index (D1). Only a platform token for every workspace
 * (`ws: "*"`) may read them: the index describes all workspaces, so a token scoped to one
 * workspace, whatever its role, is refused with 403 like any call outside its workspace.
 */
const FLEET_ROLES = ["platform"] as const satisfies readonly Role[];

export const fleetOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = c.get("claims");
  if (!hasRole(claims, FLEET_ROLES)) {
    const refusal = roleRefused(FLEET_ROLES);
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

/** The index must be bound; a deployment without it answers 500 saying so. */
export function fleetDb(c: Context<AppEnv>): D1Database {
  const db = c.env.FLEET;
  if (db === undefined) {
    throw new ApiError(
      "server_misconfigured",
      "The fleet index (the D1 binding FLEET) is not configured: see docs/operations.md.",
    );
  }
  return db;
}

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const common = {
  tags: ["Fleet"],
  security: [{ bearer: [] }],
  "x-roles": [...FLEET_ROLES],
  middleware: [fleetOnly],
};

const summaryRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/fleet/summary",
  summary:
    "Fleet summary: workspaces by plan, by each limit's state, by credits used; webhook health",
  responses: {
    200: json(FleetSummary, "The summary of the fleet index"),
    ...errorResponses("invalid_request", "forbidden"),
  },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/fleet/workspaces",
  summary: "The fleet's workspaces, filtered and sorted, by opaque cursor pages",
  request: { query: FleetListQuery },
  responses: {
    200: json(FleetPage, "A page of rows, each with how stale it is"),
    ...errorResponses("invalid_request", "forbidden"),
  },
});

const decisionsRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/fleet/decisions",
  summary: "Decisions by reason, per hour, fleet-wide (optionally one plan)",
  request: { query: FleetDecisionsQuery },
  responses: {
    200: json(FleetDecisions, "Every hour of the range with its counts by reason"),
    ...errorResponses("invalid_request", "forbidden"),
  },
});

export function fleetRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(summaryRoute, async (c) => c.json(await fleetSummary(fleetDb(c), Date.now()), 200));
  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listWorkspaces(fleetDb(c), c.env.AUTH_SECRET ?? "", query, Date.now());
    return c.json(page, 200);
  });
  app.openapi(decisionsRoute, async (c) => {
    const { from, to, plan } = c.req.valid("query");
    const answer = await fleetDecisions(
      fleetDb(c),
      {
        from: from === undefined ? undefined : Date.parse(from),
        to: to === undefined ? undefined : Date.parse(to),
        plan,
      },
      Date.now(),
    );
    return c.json(answer, 200);
  });
}
