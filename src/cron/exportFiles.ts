import {
  CREDITS_HEADER,
  csvLine,
  dayName,
  type ExportKind,
  type ExportManifest,
  exportKey,
  exportManifestKey,
  exportName,
  STATEMENTS_HEADER,
} from "../policy/exports";
import { type StatementFigures, statementLines } from "../policy/statementCsv";
import { type Instant, iso } from "../policy/time";

/**
 * One finance export file written to R2 (docs/history.md#finance-exports): a day's file, or one
 * of its corrections (docs/history.md#late-figures-correction-files), read from the fleet index by
 * keyset pages of EXPORT_PAGE_ROWS and streamed to the bucket (one put when small, a multipart
 * upload of `partBytes` parts when not: never the whole file in memory), then its manifest.
 *
 * What a file reads is fixed before it is read, so a rerun after a crash writes the same bytes:
 * a day's file reads the day's figures once the day is sealed (later reports go to its
 * corrections), correction n reads the figures of n once the next reports go to n + 1.
 */

/** D1 rows per query. */
export const EXPORT_PAGE_ROWS = 5_000;
/** A multipart upload's part: R2's minimum, every part but the last the same size. */
export const PART_BYTES = 5 * 1024 * 1024;

/** A CSV file on its way to R2: one put when small, else a multipart upload of equal parts. */
class CsvUpload {
  private readonly encoder = new TextEncoder();
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private upload: R2MultipartUpload | undefined;
  private readonly parts: R2UploadedPart[] = [];
  private readonly digest = new crypto.DigestStream("SHA-256");
  private readonly hasher = this.digest.getWriter();
  rows = 0;
  bytes = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly partBytes: number,
  ) {}

  /** Appends CSV text holding `rows` data lines (a page of D1 at a time, not line by line). */
  async write(text: string, rows: number): Promise<void> {
    const bytes = this.encoder.encode(text);
    await this.hasher.write(bytes);
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    this.bytes += bytes.length;
    this.rows += rows;
    while (this.buffered >= this.partBytes) {
      this.upload ??= await this.bucket.createMultipartUpload(this.key, {
        httpMetadata: { contentType: "text/csv; charset=utf-8" },
      });
      this.parts.push(
        await this.upload.uploadPart(this.parts.length + 1, this.take(this.partBytes)),
      );
    }
  }

  /** The first `n` buffered bytes, as one array; the rest stays buffered. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Uint8Array;
      const used = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= n;
    return out;
  }

  /** Puts the last bytes (or the whole file, when small); answers its SHA-256. */
  async finish(): Promise<string> {
    await this.hasher.close();
    const sha256 = [...new Uint8Array(await this.digest.digest)]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const rest = this.take(this.buffered);
    if (this.upload === undefined) {
      // R2 refuses a body whose SHA-256 differs: the file is whole, or not written.
      await this.bucket.put(this.key, rest, {
        sha256,
        httpMetadata: { contentType: "text/csv; charset=utf-8" },
      });
      return sha256;
    }
    if (rest.length > 0) this.parts.push(await this.upload.uploadPart(this.parts.length + 1, rest));
    await this.upload.complete(this.parts);
    return sha256;
  }

  async abort(): Promise<void> {
    await this.upload?.abort().catch(() => undefined);
  }
}

/**
 * A page of a file's figures, after the last key read: the day's own (correction 0), or those
 * of correction n, by the tables' keys.
 */
const CREDITS_PAGE = `SELECT workspace_id, feature, credits FROM fleet_credits_daily
  WHERE day = ? AND (workspace_id > ? OR (workspace_id = ? AND feature > ?))
  ORDER BY workspace_id, feature LIMIT ?`;

const LATE_CREDITS_PAGE = `SELECT workspace_id, feature, credits FROM fleet_credits_late
  WHERE day = ? AND correction = ? AND (workspace_id > ? OR (workspace_id = ? AND feature > ?))
  ORDER BY workspace_id, feature LIMIT ?`;

const STATEMENTS_PAGE = `SELECT workspace_id, period_start, body FROM fleet_statements
  WHERE closed_day = ? AND (workspace_id > ? OR (workspace_id = ? AND period_start > ?))
  ORDER BY workspace_id, period_start LIMIT ?`;

const LATE_STATEMENTS_PAGE = `SELECT workspace_id, period_start, body FROM fleet_statements_late
  WHERE closed_day = ? AND correction = ?
    AND (workspace_id > ? OR (workspace_id = ? AND period_start > ?))
  ORDER BY workspace_id, period_start LIMIT ?`;

/** The query of a page, bound: the day, its correction, the last key read, the page size. */
function page(
  db: D1Database,
  own: string,
  late: string,
  day: Instant,
  correction: number,
  after: [string, string | number],
): D1PreparedStatement {
  const [ws, last] = after;
  return correction === 0
    ? db.prepare(own).bind(day, ws, ws, last, EXPORT_PAGE_ROWS)
    : db.prepare(late).bind(day, correction, ws, ws, last, EXPORT_PAGE_ROWS);
}

/**
 * Every page of a file's figures in key order, each read after the last key of the page before
 * (`keyOf`); an empty or short page is the last.
 */
async function* pages<R>(
  db: D1Database,
  queries: { own: string; late: string },
  file: { day: Instant; correction: number },
  first: [string, string | number],
  keyOf: (row: R) => [string, string | number],
): AsyncGenerator<R[]> {
  let after = first;
  for (;;) {
    const { results } = await page(
      db,
      queries.own,
      queries.late,
      file.day,
      file.correction,
      after,
    ).all<R>();
    yield results;
    const last = results.at(-1);
    if (last === undefined || results.length < EXPORT_PAGE_ROWS) return;
    after = keyOf(last);
  }
}

async function writeCredits(
  db: D1Database,
  file: CsvUpload,
  day: Instant,
  correction: number,
): Promise<void> {
  await file.write(csvLine(CREDITS_HEADER), 0);
  const queries = { own: CREDITS_PAGE, late: LATE_CREDITS_PAGE };
  for await (const rows of pages<{ workspace_id: string; feature: string; credits: number }>(
    db,
    queries,
    { day, correction },
    ["", ""],
    (r) => [r.workspace_id, r.feature],
  )) {
    const text = rows
      .map((r) => csvLine([r.workspace_id, dayName(day), r.feature, r.credits]))
      .join("");
    await file.write(text, rows.length);
  }
}

async function writeStatements(
  db: D1Database,
  file: CsvUpload,
  day: Instant,
  correction: number,
): Promise<void> {
  await file.write(csvLine(STATEMENTS_HEADER), 0);
  const queries = { own: STATEMENTS_PAGE, late: LATE_STATEMENTS_PAGE };
  for await (const rows of pages<{ workspace_id: string; period_start: number; body: string }>(
    db,
    queries,
    { day, correction },
    ["", -1],
    (r) => [r.workspace_id, r.period_start],
  )) {
    let text = "";
    let lines = 0;
    for (const r of rows) {
      const statement = JSON.parse(r.body) as StatementFigures;
      for (const line of statementLines(statement)) {
        text += csvLine([r.workspace_id, statement.periodStart, ...line]);
        lines++;
      }
    }
    await file.write(text, lines);
  }
}

/**
 * Writes a file whole, then its manifest (`correction` 0: the day's file). The manifest last:
 * until it exists the file is not listed, and the next cron writes it again (a crash between the
 * two leaves an unlisted file, rewritten whole, never half). Answers the file's name.
 */
export async function writeExportFile(
  env: { bucket: R2Bucket; db: D1Database },
  file: { kind: ExportKind; day: Instant; correction: number },
  now: Instant,
  partBytes: number,
): Promise<string> {
  const { kind, day, correction } = file;
  const name = exportName(kind, day, correction);
  const upload = new CsvUpload(env.bucket, exportKey(name), partBytes);
  let sha256: string;
  try {
    if (kind === "credits") await writeCredits(env.db, upload, day, correction);
    else await writeStatements(env.db, upload, day, correction);
    sha256 = await upload.finish();
  } catch (error) {
    await upload.abort();
    throw error;
  }
  const manifest: ExportManifest = {
    key: name,
    kind,
    day: dayName(day),
    correction,
    correctsKey: correction === 0 ? null : exportName(kind, day),
    rows: upload.rows,
    bytes: upload.bytes,
    sha256,
    writtenAt: iso(now),
  };
  await env.bucket.put(exportManifestKey(name), JSON.stringify(manifest), {
    httpMetadata: { contentType: "application/json" },
    customMetadata: Object.fromEntries(
      Object.entries(manifest).flatMap(([k, v]) => (v === null ? [] : [[k, String(v)]])),
    ),
  });
  return name;
}
