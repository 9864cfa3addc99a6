import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Env } from "../env";
import { errorResponses } from "../errors";
import {
  findVersion,
  listVersions,
  previewRows,
  publish,
  putDraft,
  remove,
  type StoredVersion,
  workspaceIdsAfter,
} from "../fleet/catalogue";
import type { AppEnv } from "../hono";
import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion as CatalogueData,
  type EffectiveLimits,
  versionFor,
} from "../policy/catalogue";
import { previewCsv, previewOf } from "../policy/preview";
import { isoOrNull } from "../policy/time";
import {
  CatalogueDraftInput,
  CatalogueList,
  CataloguePreview,
  CatalogueVersion,
  PreviewInput,
  PreviewQuery,
  PublishInput,
  VersionParams,
} from "../schemas/catalogue";
import { fleetDb, fleetOnly, json } from "./fleet";
import { boundedBody } from "./shared";

/**
 * The plan catalogue as versioned data (docs/catalogue.md): platform-only, like the fleet
 * routes, since a version applies to every workspace. The catalogue's clock is the platform's
 * (Date.now()): the 10-minute lead is real time, whatever a workspace's test clock says.
 */
const common = {
  tags: ["Catalogue"],
  security: [{ bearer: [] }],
  "x-roles": ["platform"],
  middleware: [fleetOnly, boundedBody],
};

const view = (v: StoredVersion) => ({
  ...v.version,
  status: v.status,
  builtIn: v.builtIn,
  publishedAt: isoOrNull(v.publishedAt),
  withdrawnAt: isoOrNull(v.withdrawnAt),
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/catalogue",
  summary: "Catalogue versions: draft, scheduled, in force, superseded, withdrawn",
  responses: {
    200: json(CatalogueList, "Every version with its status now"),
    ...errorResponses("invalid_request", "forbidden"),
  },
});

const getRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/catalogue/versions/{id}",
  summary: "One catalogue version, with every plan's terms",
  request: { params: VersionParams },
  responses: {
    200: json(CatalogueVersion, "The version"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

const putRoute = createRoute({
  ...common,
  method: "put",
  path: "/v1/catalogue/versions/{id}",
  summary: "Writes a draft (creates or replaces it); a published version is locked",
  request: {
    params: VersionParams,
    body: { required: true, content: { "application/json": { schema: CatalogueDraftInput } } },
  },
  responses: {
    200: json(CatalogueVersion, "The draft as stored"),
    ...errorResponses("invalid_request", "forbidden", "version_locked"),
  },
});

const publishRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/catalogue/versions/{id}/publish",
  summary: "Schedules a draft for effectiveAt, at least 10 minutes ahead",
  request: {
    params: VersionParams,
    body: { required: true, content: { "application/json": { schema: PublishInput } } },
  },
  responses: {
    200: json(CatalogueVersion, "The version, scheduled"),
    ...errorResponses("invalid_request", "forbidden", "not_found", "version_locked"),
  },
});

const deleteRoute = createRoute({
  ...common,
  method: "delete",
  path: "/v1/catalogue/versions/{id}",
  summary:
    "Deletes a draft, or withdraws a scheduled version at least 10 minutes before it applies",
  request: { params: VersionParams },
  responses: {
    200: json(
      z.object({ id: z.string(), deleted: z.boolean(), withdrawn: z.boolean() }),
      "What happened",
    ),
    ...errorResponses("invalid_request", "forbidden", "not_found", "version_locked"),
  },
});

const previewRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/catalogue/versions/{id}/preview",
  summary:
    "What the version would do to every workspace of the fleet index, against the one in force",
  request: {
    params: VersionParams,
    query: PreviewQuery,
    body: { required: false, content: { "application/json": { schema: PreviewInput } } },
  },
  responses: {
    200: {
      description:
        "The impact: per limit, per plan, the 100 most affected; or the full list as CSV",
      content: {
        "application/json": { schema: CataloguePreview },
        "text/csv": { schema: z.string() },
      },
    },
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

const limitsWire = (l: EffectiveLimits) => ({
  leads: l.leads,
  contactsAndCompanies: l.contactsAndCompanies,
  whatsapp: l.whatsapp,
  instagram: l.instagram,
  activeAgents: l.activeAgents,
  includedCredits: l.includedCredits,
});

/** Fan-out pages: each workspace in the fleet index reads the schedule, 50 at a time. */
const FAN_OUT_BATCH = 50;

/**
 * Tells every indexed workspace to read the schedule again, in bounded batches, after the
 * answer. Best effort: a workspace that misses it reads the schedule on its next decision once
 * its known schedule lapses (memory.ts), so a lost fan-out changes no decision; it lets quiet
 * workspaces arm their alarm for the switch (docs/catalogue.md).
 */
export async function fanOut(env: Env, db: D1Database): Promise<number> {
  let after = "";
  let told = 0;
  for (;;) {
    const ids = await workspaceIdsAfter(db, after, FAN_OUT_BATCH);
    if (ids.length === 0) return told;
    await Promise.allSettled(ids.map((id) => env.WORKSPACE.getByName(id).learnCatalogue()));
    told += ids.length;
    after = ids[ids.length - 1] as string;
  }
}

const later = (c: Context<AppEnv>, db: D1Database) => {
  if (c.env.CATALOGUE_FAN_OUT === "off") return;
  c.executionCtx.waitUntil(fanOut(c.env, db));
};

export function catalogueRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const now = Date.now();
    const all = await listVersions(fleetDb(c), now);
    const inForce = all.find((v) => v.status === "in_force");
    return c.json(
      {
        now: new Date(now).toISOString(),
        inForce: inForce?.version.id ?? "2026-06",
        versions: all.map((v) => {
          const { plans: _p, featureCosts: _f, ...rest } = view(v);
          return rest;
        }),
      },
      200,
    );
  });
  app.openapi(getRoute, async (c) =>
    c.json(view(await findVersion(fleetDb(c), c.req.valid("param").id, Date.now())), 200),
  );
  app.openapi(putRoute, async (c) => {
    const draft = c.req.valid("json");
    const stored = await putDraft(fleetDb(c), draft, c.req.valid("param").id, Date.now());
    return c.json(view(stored), 200);
  });
  app.openapi(previewRoute, async (c) => {
    const db = fleetDb(c);
    const now = Date.now();
    const asOf = Date.parse(c.req.valid("json")?.asOf ?? new Date(now).toISOString());
    const all = await listVersions(db, now);
    const target = await findVersion(db, c.req.valid("param").id, now);
    const schedule = all
      .filter((v) => !v.builtIn && v.version.effectiveAt !== null && v.status !== "withdrawn")
      .map((v) => v.version as CatalogueData);
    const current = versionFor([BUILT_IN_CATALOGUE, ...schedule], {}, asOf);
    const next = {
      ...target.version,
      effectiveAt: target.version.effectiveAt ?? new Date(asOf).toISOString(),
    };
    const rows = await previewRows(db);
    const { summary, effects } = previewOf(rows, current, next);
    if (c.req.valid("query").format === "csv") {
      return c.body(previewCsv(rows, effects), 200, { "content-type": "text/csv; charset=utf-8" });
    }
    return c.json(
      {
        version: next.id,
        inForce: current.id,
        asOf: new Date(asOf).toISOString(),
        ...summary,
        mostAffected: summary.mostAffected.map((e) => ({
          workspaceId: e.workspaceId,
          plan: e.plan,
          over: e.over,
          creditsDelta: e.creditsDelta,
          before: limitsWire(e.before),
          after: limitsWire(e.after),
        })),
      },
      200,
    );
  });
  app.openapi(publishRoute, async (c) => {
    const db = fleetDb(c);
    const at = Date.parse(c.req.valid("json").effectiveAt);
    const stored = await publish(db, c.req.valid("param").id, at, Date.now());
    later(c, db);
    return c.json(view(stored), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const db = fleetDb(c);
    const done = await remove(db, c.req.valid("param").id, Date.now());
    if (done.withdrawn) later(c, db);
    return c.json(done, 200);
  });
}
