import { ApiError, invalid } from "../errors";
import {
  type ExportKind,
  type ExportManifest,
  exportKey,
  exportManifestKey,
  exportNameOfManifestKey,
  MANIFEST_PREFIX,
  parseExportName,
} from "../policy/exports";
import { exportsCursor, readExportsCursor } from "./cursor";

/**
 * The finance exports' reads for the platform routes (docs/history.md#finance-exports): the
 * files the cron wrote (src/cron/exports.ts), listed by pages from their manifests' metadata
 * (a manifest is written once its file is whole), and one file streamed: the days' files and
 * their corrections (docs/history.md#late-figures-correction-files), each day's file listed
 * before its corrections. Every key read is under `exports/` with a name the schema matched
 * (EXPORT_NAME), so a request never reaches another object of the bucket.
 */

function fileOf(object: R2Object): ExportManifest | undefined {
  const name = exportNameOfManifestKey(object.key);
  const parts = name === undefined ? undefined : parseExportName(name);
  const meta = object.customMetadata ?? {};
  if (name === undefined || parts === undefined || meta.kind === undefined) return undefined;
  return {
    key: name,
    kind: parts.kind,
    day: parts.day,
    // From the name: a manifest written before the corrections has no such metadata.
    correction: parts.correction,
    correctsKey: parts.correction === 0 ? null : `${parts.kind}-${parts.day}.csv`,
    rows: Number(meta.rows ?? 0),
    bytes: Number(meta.bytes ?? 0),
    sha256: meta.sha256 ?? "",
    writtenAt: meta.writtenAt ?? "",
  };
}

/** The query a cursor is bound to: its kind (all kinds when none). */
const canonical = (kind: ExportKind | undefined) => `exports?kind=${kind ?? ""}`;

export async function listExports(
  bucket: R2Bucket,
  secret: string,
  query: { kind?: ExportKind; after?: string; limit: number },
): Promise<{ exports: ExportManifest[]; nextCursor: string | null; hasMore: boolean }> {
  let startAfter: string | undefined;
  if (query.after !== undefined) {
    const read = await readExportsCursor(secret, canonical(query.kind), query.after);
    if (!read.ok) throw invalid([{ path: "after", message: read.why }]);
    startAfter = exportManifestKey(read.last);
  }
  const page = await bucket.list({
    prefix: `${MANIFEST_PREFIX}${query.kind ?? ""}`,
    limit: query.limit,
    include: ["customMetadata"],
    ...(startAfter === undefined ? {} : { startAfter }),
  });
  const exports = page.objects.flatMap((o) => fileOf(o) ?? []);
  const names = page.objects.flatMap((o) => exportNameOfManifestKey(o.key) ?? []);
  const last = names.at(-1);
  const nextCursor =
    page.truncated && last !== undefined
      ? await exportsCursor(secret, canonical(query.kind), last)
      : null;
  return { exports, nextCursor, hasMore: nextCursor !== null };
}

/** A listed file's bytes as a streamed response (404 when there is none, or not whole yet). */
export async function exportFile(bucket: R2Bucket, name: string): Promise<Response> {
  const manifest = await bucket.head(exportManifestKey(name));
  const object = manifest === null ? null : await bucket.get(exportKey(name));
  if (object === null) throw new ApiError("not_found", `There is no export ${name}.`);
  return new Response(object.body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-length": String(object.size),
      "content-disposition": `attachment; filename="${name}"`,
      "x-export-sha256": manifest?.customMetadata?.sha256 ?? "",
    },
  });
}
