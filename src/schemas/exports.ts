import { z } from "@hono/zod-openapi";
import { CURSOR_PATTERN } from "../policy/cursor";
import { EXPORT_KINDS, EXPORT_NAME } from "../policy/exports";
import { LimitParam } from "./common";

/** The most characters of an exports cursor (src/exports/cursor.ts). */
const MAX_EXPORTS_CURSOR_LENGTH = 256;

/**
 * A file's name as the routes take it: `{credits|statements}-{YYYY-MM-DD}.csv`, or a correction
 * of it, `{credits|statements}-{YYYY-MM-DD}.correction-{n}.csv`.
 */
export const ExportName = z
  .string()
  .max(64)
  .regex(EXPORT_NAME, "must be an export's key, as GET /v1/exports lists it")
  .openapi({ example: "credits-2026-07-20.csv" });

export const ExportFile = z
  .object({
    key: ExportName.describe("The file's key: GET /v1/exports/{key} answers it"),
    kind: z
      .enum(EXPORT_KINDS)
      .describe(
        "`credits`: workspace, day, feature, credits; `statements`: the periods closed that day",
      ),
    day: z.string().describe("The UTC day it covers, YYYY-MM-DD"),
    correction: z
      .number()
      .int()
      .min(0)
      .describe(
        "0: the day's file; n ≥ 1: its correction n, the figures that reached the service after the file before it was written (credits: the credits to add, per workspace, day and feature; statements: whole statements that replace that workspace and period's earlier lines)",
      ),
    correctsKey: ExportName.nullable().describe(
      "A correction's day file (the key it corrects); null for a day's file",
    ),
    rows: z.number().int().describe("Data lines (the header not counted)"),
    bytes: z.number().int(),
    sha256: z.string().describe("SHA-256 of the file's bytes, hex"),
    writtenAt: z.string().describe("When the cron wrote it (written once, never rewritten)"),
  })
  .openapi("FinanceExport");

export const ExportsQuery = z.object({
  kind: z
    .enum(EXPORT_KINDS)
    .optional()
    .openapi({ param: { name: "kind", in: "query" }, description: "Only this kind's files." }),
  after: z
    .string()
    .max(MAX_EXPORTS_CURSOR_LENGTH)
    .regex(CURSOR_PATTERN, "must be a nextCursor from a previous page")
    .optional()
    .openapi({
      param: { name: "after", in: "query" },
      description:
        "A previous page's `nextCursor`, unchanged. Cursors are opaque and bound to the `kind` they were issued for: a cursor of another query, or one never issued, is a 400 naming `after`.",
    }),
  limit: LimitParam("files"),
});

export const ExportsPage = z
  .object({
    exports: z
      .array(ExportFile)
      .describe("Each kind's files oldest day first, each day's file before its corrections"),
    nextCursor: z.string().nullable().describe("Pass as `after` for the next page; null: none"),
    hasMore: z.boolean(),
  })
  .openapi("FinanceExportsPage");

export const ExportParams = z.object({
  key: ExportName.openapi({ param: { name: "key", in: "path" } }),
});
