import { ApiError } from "../errors";
import {
  type ArchiveKind,
  dataKey,
  dataPrefix,
  fromMetadata,
  type Manifest,
} from "../policy/archive";

/**
 * The history archive's reads for the platform routes (docs/history.md): the manifests of a
 * workspace's files, paged by key, and one file's bytes, streamed from R2. Written by each
 * workspace's object (src/workspace/archive), never here.
 */

/** The archive must be bound; a deployment without it answers 500 saying so. */
export function archiveBucket(bucket: R2Bucket | undefined): R2Bucket {
  if (bucket === undefined) {
    throw new ApiError(
      "server_misconfigured",
      "The history archive (the R2 binding ARCHIVE) is not configured: see docs/operations.md.",
    );
  }
  return bucket;
}

export async function listArchives(
  bucket: R2Bucket,
  workspaceId: string,
  query: { kind?: ArchiveKind; after?: string; limit: number },
): Promise<{ archives: Manifest[]; nextCursor: string | null; hasMore: boolean }> {
  const prefix = dataPrefix(workspaceId);
  const page = await bucket.list({
    prefix: `${prefix}${query.kind ?? ""}`,
    limit: query.limit,
    include: ["customMetadata"],
    ...(query.after === undefined ? {} : { startAfter: `${prefix}${query.after}` }),
  });
  const archives = page.objects.flatMap((o) => {
    const manifest = fromMetadata(o.customMetadata);
    return manifest === undefined ? [] : [manifest];
  });
  const last = page.objects.at(-1)?.key.slice(prefix.length) ?? null;
  return { archives, nextCursor: page.truncated ? last : null, hasMore: page.truncated };
}

/** A file's bytes as a streamed response (404 when there is none). */
export async function archiveFile(
  bucket: R2Bucket,
  workspaceId: string,
  key: string,
): Promise<Response> {
  const object = await bucket.get(dataKey(workspaceId, key));
  if (object === null) {
    throw new ApiError("not_found", `This workspace has no archive file ${key}.`);
  }
  return new Response(object.body, {
    headers: {
      "content-type": "application/gzip",
      "content-length": String(object.size),
      "content-disposition": `attachment; filename="${key}"`,
      "x-archive-sha256": object.customMetadata?.sha256 ?? "",
    },
  });
}
