import { DAY_MS, type Instant } from "../../policy/time";

// The archive's files (docs/history.md): compressed newline-delimited JSON, one file per run of
// consecutive sequences of one kind of history, named after the UTC day of its first entry.

export type ArchiveKind = "ledger" | "events";

/** What a file holds, written beside it and into its custom metadata (listed without a read). */
export interface Manifest {
  key: string;
  workspaceId: string;
  kind: ArchiveKind;
  /** The UTC day of the file's first entry, YYYY-MM-DD. */
  day: string;
  rows: number;
  firstSeq: number;
  lastSeq: number;
  /** SHA-256 of the file's bytes (the compressed NDJSON), hex. */
  sha256: string;
  bytes: number;
  writtenAt: string;
}

/** A file's name: flat (no slash), so it is one path segment of the archive routes. */
export const archiveName = (kind: ArchiveKind, at: Instant, firstSeq: number): string =>
  `${kind}-${utcDay(at)}-${String(firstSeq).padStart(12, "0")}.ndjson.gz`;

/** What a name looks like: the archive routes refuse any other (400 naming `key`). */
export const ARCHIVE_NAME = /^(ledger|events)-\d{4}-\d{2}-\d{2}-\d{12}\.ndjson\.gz$/;

export const utcDay = (at: Instant): string =>
  new Date(Math.floor(at / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** The R2 key of a workspace's file; the trailing slash keeps `acme` apart from `acme2`. */
export const dataKey = (workspaceId: string, name: string): string =>
  `archive/${workspaceId}/${name}`;

export const manifestKey = (workspaceId: string, name: string): string =>
  `manifests/${workspaceId}/${name}.json`;

export const dataPrefix = (workspaceId: string): string => `archive/${workspaceId}/`;

/** The NDJSON of `rows`, gzipped: the same rows always give the same bytes. */
export async function encode(rows: readonly unknown[]): Promise<Uint8Array> {
  const text = rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The NDJSON rows of a file's bytes. */
export async function decode(bytes: ArrayBuffer | Uint8Array): Promise<unknown[]> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const text = await new Response(stream).text();
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A manifest as custom metadata (string values only) and back. */
export const toMetadata = (m: Manifest): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));

export function fromMetadata(meta: Record<string, string> | undefined): Manifest | undefined {
  if (meta?.key === undefined || meta.kind === undefined) return undefined;
  return {
    key: meta.key,
    workspaceId: meta.workspaceId ?? "",
    kind: meta.kind as ArchiveKind,
    day: meta.day ?? "",
    rows: Number(meta.rows),
    firstSeq: Number(meta.firstSeq),
    lastSeq: Number(meta.lastSeq),
    sha256: meta.sha256 ?? "",
    bytes: Number(meta.bytes),
    writtenAt: meta.writtenAt ?? "",
  };
}
