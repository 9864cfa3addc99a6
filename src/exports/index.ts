import { ApiError, invalid } from "../errors";
import {
  EXPORT_NAME,
  type ExportKind,
  type ExportManifest,
  exportKey,
  exportManifestKey,
  MANIFEST_PREFIX,
} from "../policy/exports";
import { exportsCursor, readExportsCursor } from "./cursor";

/**
 * The finance exports' reads for the platform routes (docs/history.md#finance-exports): the
 * files the cron wrote (src/cron/exports.ts), listed by pages from their manifests' metadata
 * (a manifest is written once its file is whole), and one file streamed. Every key read is
 * under `exports/` with a name the schema matched (EXPORT_NAME), so a request never reaches
 * another object of the bucket.
 */

function fileOf(object: R2Object): ExportManifest | undefined {
  const name = object.key.slice(MANIFEST_PREFIX.length);
  const meta = object.customMetadata ?? {};
  if (!EXPORT_NAME.test(name) || meta.kind === undefined) return undefined;
  return {
    key: name,
    kind: meta.kind as ExportKind,
    day: meta.day ?? "",
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
  const last = page.objects.at(-1)?.key.slice(MANIFEST_PREFIX.length);
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
