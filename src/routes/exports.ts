import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { archiveBucket } from "../archives";
import { errorResponses } from "../errors";
import { exportFile, listExports } from "../exports";
import type { AppEnv } from "../hono";
import { whenStoresAnswer } from "../operations/platform";
import { ExportParams, ExportsPage, ExportsQuery } from "../schemas/exports";
import { platformOnly } from "./platform";
import { jsonResponse as json } from "./shared";

/**
 * The finance exports' routes (docs/history.md#finance-exports): the daily files the cron writes
 * for the whole fleet, listed and streamed. Like the fleet's, they read no workspace object
 * (R2 only) and cover every workspace, so they are outside the route table and the bindings,
 * and need a platform token for every workspace (`ws: "*"`): any other role is a 403
 * `role_not_allowed`, a platform token for one workspace a 403 `not_every_workspace`.
 */
const common = {
  tags: ["History"],
  security: [{ bearer: [] }],
  "x-roles": ["platform"],
  middleware: [platformOnly],
};

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/exports",
  summary:
    "The finance exports: one credits file and one statements file per UTC day, and their corrections, by pages",
  description:
    "Written once a day by the cron, 15 minutes after the day ends (UTC), never rewritten: `credits-{day}.csv` (workspace, day, feature, credits charged) and `statements-{day}.csv` (every period closed that day, one `section,item,value` line per figure). A figure that reaches the service after its day's file was written goes to a correction file of that day, written once too: `credits-{day}.correction-{n}.csv` holds the credits to add (a day's file plus its corrections equal the ledger), `statements-{day}.correction-{n}.csv` whole statements that replace that workspace and period's earlier lines.",
  request: { query: ExportsQuery },
  responses: {
    200: json(ExportsPage, "A page of files"),
    ...errorResponses("invalid_request", "forbidden"),
  },
});

const fileRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/exports/{key}",
  summary: "One finance export (a day's file or one of its corrections), streamed as CSV",
  request: { params: ExportParams },
  responses: {
    200: {
      description: "The file's bytes (`x-export-sha256`: their SHA-256, as listed)",
      content: { "text/csv": { schema: { type: "string" } } },
    },
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function exportRoutes(app: OpenAPIHono<AppEnv>) {
  // The archive (R2) not answering is the 503 every platform route answers for it.
  app.openapi(listRoute, async (c) => {
    const page = await whenStoresAnswer("listExports", () =>
      listExports(archiveBucket(c.env.ARCHIVE), c.env.AUTH_SECRET ?? "", c.req.valid("query")),
    );
    return c.json(page, 200);
  });
  app.openapi(fileRoute, async (c) => {
    const { key } = c.req.valid("param");
    return whenStoresAnswer("exportFile", () =>
      exportFile(archiveBucket(c.env.ARCHIVE), key),
    ) as never;
  });
}
