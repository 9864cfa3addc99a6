import { DAY_MS, type Instant, MINUTE_MS } from "./time";

// The finance exports (docs/history.md#finance-exports): their names, when a day's files are
// due, and the CSV cell. Shared by the cron that writes them (src/cron/exports.ts), the routes
// that list and serve them (src/exports) and the workspace that reports their figures.

export type ExportKind = "credits" | "statements";
export const EXPORT_KINDS = ["credits", "statements"] as const;

/**
 * How long after a UTC day ends its files are written: every workspace reports within a minute
 * of a change (docs/fleet.md), and a failed report is retried a minute later, so 15 minutes
 * leave a report many tries to land (docs/rules.md, "History is never lost").
 */
export const EXPORT_DELAY_MS = 15 * MINUTE_MS;
/** Days the cron looks back for a file it has not written yet (a cron that missed some). */
export const EXPORT_CATCH_UP_DAYS = 3;
/** How long the index keeps the exports' figures after their day (pruned by the cron). */
export const EXPORT_FIGURES_RETENTION_MS = 35 * DAY_MS;

/** The 00:00 UTC instant of `at`'s day. */
export const dayStart = (at: Instant): Instant => Math.floor(at / DAY_MS) * DAY_MS;

/** The day's `YYYY-MM-DD`. */
export const dayName = (day: Instant): string => new Date(day).toISOString().slice(0, 10);

/**
 * The latest day whose files are due at `now`: the day before the one that began
 * EXPORT_DELAY_MS ago (day D at D+1 00:15 UTC).
 */
export const lastDueDay = (now: Instant): Instant => dayStart(now - EXPORT_DELAY_MS) - DAY_MS;

/** A file's name: flat (no slash), one path segment of GET /v1/exports/{key}. */
export const exportName = (kind: ExportKind, day: Instant): string => `${kind}-${dayName(day)}.csv`;

/** What a name looks like: the routes refuse any other (400 naming `key`). */
export const EXPORT_NAME = /^(credits|statements)-\d{4}-\d{2}-\d{2}\.csv$/;

/** Every export lives under this prefix of the bucket, apart from the workspaces' archives. */
export const EXPORT_PREFIX = "exports/";

/** A file's bytes. */
export const exportKey = (name: string): string => `${EXPORT_PREFIX}files/${name}`;

/** Where the files' manifests are listed from (one per file, written once the file is whole). */
export const MANIFEST_PREFIX = `${EXPORT_PREFIX}manifests/`;

/** A file's manifest: its existence says the file is written (and never written again). */
export const exportManifestKey = (name: string): string => `${MANIFEST_PREFIX}${name}`;

/** What the listing says of a file (its manifest's custom metadata, and its body as JSON). */
export interface ExportManifest {
  key: string;
  kind: ExportKind;
  day: string;
  rows: number;
  bytes: number;
  sha256: string;
  writtenAt: string;
}

/** One CSV cell: quoted when it holds a comma, a quote or a line break (RFC 4180). */
export const csvCell = (v: string | number): string =>
  /[",\n\r]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v);

export const csvLine = (cells: readonly (string | number)[]): string =>
  `${cells.map(csvCell).join(",")}\r\n`;

export const CREDITS_HEADER = ["workspace", "day", "feature", "credits"] as const;
export const STATEMENTS_HEADER = ["workspace", "period_start", "section", "item", "value"] as const;
