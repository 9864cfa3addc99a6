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

/**
 * Corrections of one day's file at most (its number's digits in a name): one a cron run at most,
 * and a day's figures are kept EXPORT_FIGURES_RETENTION_MS (35 days, 50,400 runs), so never
 * reached.
 */
export const MAX_CORRECTION = 999_999;

/**
 * A file's name: flat (no slash), one path segment of GET /v1/exports/{key}. Correction `n` (1,
 * 2, ...) of a day's file carries what reached the index after the file before it was written
 * (docs/history.md#late-figures-correction-files); 0 is the day's file itself.
 */
export const exportName = (kind: ExportKind, day: Instant, correction = 0): string =>
  correction === 0
    ? `${kind}-${dayName(day)}.csv`
    : `${kind}-${dayName(day)}.correction-${correction}.csv`;

/** What a name looks like: the routes refuse any other (400 naming `key`). */
export const EXPORT_NAME =
  /^(credits|statements)-(\d{4}-\d{2}-\d{2})(?:\.correction-([1-9]\d{0,5}))?\.csv$/;

/** A name's parts (undefined: not an export's name). */
export interface ExportNameParts {
  kind: ExportKind;
  /** YYYY-MM-DD */
  day: string;
  /** 0: the day's file; n: its correction n. */
  correction: number;
}

export function parseExportName(name: string): ExportNameParts | undefined {
  const match = EXPORT_NAME.exec(name);
  if (match === null) return undefined;
  return {
    kind: match[1] as ExportKind,
    day: match[2] as string,
    correction: match[3] === undefined ? 0 : Number(match[3]),
  };
}

/** Every export lives under this prefix of the bucket, apart from the workspaces' archives. */
export const EXPORT_PREFIX = "exports/";

/** A file's bytes. */
export const exportKey = (name: string): string => `${EXPORT_PREFIX}files/${name}`;

/** Where the files' manifests are listed from (one per file, written once the file is whole). */
export const MANIFEST_PREFIX = `${EXPORT_PREFIX}manifests/`;

const CORRECTION_DIGITS = String(MAX_CORRECTION).length;

/**
 * A file's manifest: its existence says the file is written (and never written again). A
 * correction's sits under its day's file, its number zero-padded, so the bucket lists (by key)
 * each day's file, then its corrections in order, then the next day: `credits-D.csv`,
 * `credits-D.csv/correction-000001`, ..., `credits-D+1.csv`.
 */
export function exportManifestKey(name: string): string {
  const parts = parseExportName(name);
  if (parts === undefined || parts.correction === 0) return `${MANIFEST_PREFIX}${name}`;
  const padded = String(parts.correction).padStart(CORRECTION_DIGITS, "0");
  return `${MANIFEST_PREFIX}${parts.kind}-${parts.day}.csv/correction-${padded}`;
}

/** The name of the file a manifest key lists (undefined: no export's manifest). */
export function exportNameOfManifestKey(key: string): string | undefined {
  if (!key.startsWith(MANIFEST_PREFIX)) return undefined;
  const rest = key.slice(MANIFEST_PREFIX.length);
  const match = /^((?:credits|statements)-\d{4}-\d{2}-\d{2})\.csv\/correction-(\d+)$/.exec(rest);
  const name = match === null ? rest : `${match[1]}.correction-${Number(match[2])}.csv`;
  return parseExportName(name) !== undefined && exportManifestKey(name) === key ? name : undefined;
}

/** What the listing says of a file (its manifest's custom metadata, and its body as JSON). */
export interface ExportManifest {
  key: string;
  kind: ExportKind;
  day: string;
  /** 0: the day's file; n ≥ 1: its correction n. */
  correction: number;
  /** A correction's day file (null for the day's file itself). */
  correctsKey: string | null;
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
