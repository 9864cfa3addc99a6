import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { archiveBucket, archiveFile, listArchives } from "../archives";
import { CAN, hasRole } from "../claims";
import { ApiError, errorResponses, roleRefused } from "../errors";
import type { AppEnv } from "../hono";
import { ArchiveParams, ArchivesPage, ArchivesQuery } from "../schemas/archives";
import { WorkspaceParams } from "../schemas/common";

/**
 * The history archive's routes (docs/history.md): an operator or auditor fetches a workspace's
 * archived ledger entries and events without R2 credentials. Platform only (the billing
 * system's role). They read R2, never the workspace object, so they are not workspace
 * operations: like the fleet's, they are outside the route table and the bindings.
 */
const ROLES = CAN.bill;

const platformOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = c.get("claims");
  if (!hasRole(claims, ROLES)) {
    const refusal = roleRefused(ROLES);
    throw new ApiError(refusal.code, refusal.message, refusal.details);
  }
  c.set("call", { role: claims.role });
  await next();
};

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const common = {
  tags: ["History"],
  security: [{ bearer: [] }],
  "x-roles": [...ROLES],
  middleware: [platformOnly],
};

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/workspaces/{ws}/archives",
  summary: "The workspace's archived history files: their manifests, by pages",
  description:
    "Ledger entries and events that left the workspace object, one file per UTC day (several on a busy day), each with its row count, first and last sequence and SHA-256. Every entry ever written is in exactly one of the object (GET credits/ledger, GET events) and these files.",
  request: { params: WorkspaceParams, query: ArchivesQuery },
  responses: {
    200: json(ArchivesPage, "A page of manifests, oldest key first within each kind"),
    ...errorResponses("invalid_request", "forbidden"),
  },
});

const fileRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/workspaces/{ws}/archives/{key}",
  summary: "One archived file, streamed: gzipped NDJSON, one entry a line",
  request: { params: ArchiveParams },
  responses: {
    200: {
      description: "The file's bytes (`x-archive-sha256`: their SHA-256, as in the manifest)",
      content: { "application/gzip": { schema: { type: "string", format: "binary" } } },
    },
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function archiveRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const { ws } = c.req.valid("param");
    const page = await listArchives(archiveBucket(c.env.ARCHIVE), ws, c.req.valid("query"));
    return c.json(page, 200);
  });
  app.openapi(fileRoute, async (c) => {
    const { ws, key } = c.req.valid("param");
    return archiveFile(archiveBucket(c.env.ARCHIVE), ws, key) as never;
  });
}
