import { DAY_MS, type Instant } from "./time";

// The history archive's names and manifests (docs/history.md), shared by the object that
// writes the files and the routes that list and serve them: compressed newline-delimited JSON,
// one file per run of consecutive sequences of one kind of history, named after the UTC day
// of its first entry.

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
