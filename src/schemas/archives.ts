import { z } from "@hono/zod-openapi";
import { ARCHIVE_NAME } from "../policy/archive";
import { LimitParam, WorkspaceParams } from "./common";

/** A file's name as the archive routes take it: `{kind}-{YYYY-MM-DD}-{first sequence}.ndjson.gz`. */
export const ArchiveName = z
  .string()
  .max(64)
  .regex(ARCHIVE_NAME, "must be an archive file's key, as GET archives lists it")
  .openapi({ example: "ledger-2026-07-20-000000000001.ndjson.gz" });

export const ArchiveManifest = z
  .object({
    key: ArchiveName.describe("The file's key: GET archives/{key} answers it"),
    workspaceId: z.string(),
    kind: z.enum(["ledger", "events"]).describe("Credit ledger entries or events"),
    day: z.string().describe("The UTC day of the file's first entry, YYYY-MM-DD"),
    rows: z.number().int().describe("Entries in the file, one JSON object a line"),
    firstSeq: z
      .number()
      .int()
      .describe("The first entry's sequence (the ledger's `id`, the event's `seq`)"),
    lastSeq: z.number().int().describe("The last entry's: the file holds every sequence between"),
    sha256: z.string().describe("SHA-256 of the file's bytes (gzipped NDJSON), hex"),
    bytes: z.number().int().describe("The file's size in bytes"),
    writtenAt: z.string().describe("When the archive wrote it (the workspace's clock)"),
  })
  .openapi("ArchiveManifest");

export const ArchivesQuery = z.object({
  kind: z
    .enum(["ledger", "events"])
    .optional()
    .openapi({ param: { name: "kind", in: "query" }, description: "Only this kind's files." }),
  after: ArchiveName.optional().openapi({
    param: { name: "after", in: "query" },
    description:
      "Answer the files after this key (a previous page's `nextCursor`); omitted: from the first.",
  }),
  limit: LimitParam("files"),
});

export const ArchivesPage = z
  .object({
    archives: z.array(ArchiveManifest),
    nextCursor: ArchiveName.nullable().describe("Pass as `after` for the next page; null: none"),
    hasMore: z.boolean(),
  })
  .openapi("ArchivesPage");

export const ArchiveParams = WorkspaceParams.extend({
  key: ArchiveName.openapi({ param: { name: "key", in: "path" } }),
});
