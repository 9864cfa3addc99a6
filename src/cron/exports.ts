import type { Env } from "../env";
import {
  CREDITS_HEADER,
  csvLine,
  dayName,
  EXPORT_CATCH_UP_DAYS,
  EXPORT_FIGURES_RETENTION_MS,
  EXPORT_KINDS,
  type ExportKind,
  type ExportManifest,
  exportKey,
  exportManifestKey,
  exportName,
  lastDueDay,
  STATEMENTS_HEADER,
} from "../policy/exports";
import { type StatementFigures, statementLines } from "../policy/statementCsv";
import { DAY_MS, type Instant, iso } from "../policy/time";

/**
 * The daily finance exports (docs/history.md#finance-exports), written by the cron to the
 * ARCHIVE bucket from what the workspaces' fleet reports put in the index (D1): no workspace is
 * woken for them. Day D's two files are written once the day is EXPORT_DELAY_MS behind (D+1
 * 00:15 UTC), when every workspace had its chance to report: `credits-D.csv` (workspace, day,
 * feature, credits) and `statements-D.csv` (every period closed on D). Written once: a file whose
 * manifest exists is never written again, so a rerun (the next minute's cron, a retry) is a no-op.
 *
 * Bounded: D1 is read by pages of EXPORT_PAGE_ROWS (keyset, on the tables' keys), a file goes to
 * R2 in parts of `partBytes` once it outgrows one (a multipart upload, never the whole file in
 * memory), the cron looks back EXPORT_CATCH_UP_DAYS days at most, and prunes the index's figures
 * by bounded batches.
 */

/** D1 rows per query. */
export const EXPORT_PAGE_ROWS = 5_000;
/** A multipart upload's part: R2's minimum, every part but the last the same size. */
export const PART_BYTES = 5 * 1024 * 1024;
/** Files written per cron run (the tests write several at once). */
export const FILES_PER_RUN = 1;
/** Figures pruned per table per cron run. */
const PRUNE_ROWS = 10_000;

export interface ExportsRun {
  written: string[];
  failed: string[];
}

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

const CREDITS_PAGE = `SELECT workspace_id, feature, credits FROM fleet_credits_daily
  WHERE day = ? AND (workspace_id > ? OR (workspace_id = ? AND feature > ?))
  ORDER BY workspace_id, feature LIMIT ?`;

const STATEMENTS_PAGE = `SELECT workspace_id, period_start, body FROM fleet_statements
  WHERE closed_day = ? AND (workspace_id > ? OR (workspace_id = ? AND period_start > ?))
  ORDER BY workspace_id, period_start LIMIT ?`;

async function writeCredits(db: D1Database, file: CsvUpload, day: Instant): Promise<void> {
  await file.write(csvLine(CREDITS_HEADER), 0);
  let after = { ws: "", feature: "" };
  for (;;) {
    const page = await db
      .prepare(CREDITS_PAGE)
      .bind(day, after.ws, after.ws, after.feature, EXPORT_PAGE_ROWS)
      .all<{ workspace_id: string; feature: string; credits: number }>();
    const text = page.results
      .map((r) => csvLine([r.workspace_id, dayName(day), r.feature, r.credits]))
      .join("");
    await file.write(text, page.results.length);
    const last = page.results.at(-1);
    if (last === undefined || page.results.length < EXPORT_PAGE_ROWS) return;
    after = { ws: last.workspace_id, feature: last.feature };
  }
}

async function writeStatements(db: D1Database, file: CsvUpload, day: Instant): Promise<void> {
  await file.write(csvLine(STATEMENTS_HEADER), 0);
  let after = { ws: "", periodStart: -1 };
  for (;;) {
    const page = await db
      .prepare(STATEMENTS_PAGE)
      .bind(day, after.ws, after.ws, after.periodStart, EXPORT_PAGE_ROWS)
      .all<{ workspace_id: string; period_start: number; body: string }>();
    let text = "";
    let rows = 0;
    for (const r of page.results) {
      const statement = JSON.parse(r.body) as StatementFigures;
      for (const line of statementLines(statement)) {
        text += csvLine([r.workspace_id, statement.periodStart, ...line]);
        rows++;
      }
    }
    await file.write(text, rows);
    const last = page.results.at(-1);
    if (last === undefined || page.results.length < EXPORT_PAGE_ROWS) return;
    after = { ws: last.workspace_id, periodStart: last.period_start };
  }
}

async function writeExport(
  env: { bucket: R2Bucket; db: D1Database },
  kind: ExportKind,
  day: Instant,
  now: Instant,
  partBytes: number,
): Promise<void> {
  const name = exportName(kind, day);
  const file = new CsvUpload(env.bucket, exportKey(name), partBytes);
  let sha256: string;
  try {
    if (kind === "credits") await writeCredits(env.db, file, day);
    else await writeStatements(env.db, file, day);
    sha256 = await file.finish();
  } catch (error) {
    await file.abort();
    throw error;
  }
  // The manifest last: until it exists the file is not listed, and the next cron writes it
  // again (a crash between the two leaves an unlisted file, rewritten whole, never half).
  const manifest: ExportManifest = {
    key: name,
    kind,
    day: dayName(day),
    rows: file.rows,
    bytes: file.bytes,
    sha256,
    writtenAt: iso(now),
  };
  await env.bucket.put(exportManifestKey(name), JSON.stringify(manifest), {
    httpMetadata: { contentType: "application/json" },
    customMetadata: Object.fromEntries(Object.entries(manifest).map(([k, v]) => [k, String(v)])),
  });
}

/** Drops the index's figures of days older than their retention, a bounded batch per table. */
async function pruneFigures(db: D1Database, before: Instant): Promise<void> {
  await db.batch([
    db
      .prepare(
        `DELETE FROM fleet_credits_daily WHERE (day, workspace_id, feature) IN
           (SELECT day, workspace_id, feature FROM fleet_credits_daily WHERE day < ? LIMIT ?)`,
      )
      .bind(before, PRUNE_ROWS),
    db
      .prepare(
        `DELETE FROM fleet_statements WHERE rowid IN
           (SELECT rowid FROM fleet_statements WHERE closed_day < ? LIMIT ?)`,
      )
      .bind(before, PRUNE_ROWS),
  ]);
}

/**
 * Writes the next file due at `now` that is not in the bucket yet (the last EXPORT_CATCH_UP_DAYS
 * days, the newest first; `filesPerRun` of them), then prunes old figures. A file that fails is
 * logged, left unwritten (its partial upload aborted) and tried again by the next cron.
 */
export async function writeDueExports(
  env: Env,
  now: Instant,
  { partBytes = PART_BYTES, filesPerRun = FILES_PER_RUN } = {},
): Promise<ExportsRun> {
  const run: ExportsRun = { written: [], failed: [] };
  const bucket = env.ARCHIVE;
  const db = env.FLEET;
  if (bucket === undefined || db === undefined) return run;
  const last = lastDueDay(now);
  const oldest = last - (EXPORT_CATCH_UP_DAYS - 1) * DAY_MS;
  outer: for (let day = last; day >= oldest; day -= DAY_MS) {
    for (const kind of EXPORT_KINDS) {
      const name = exportName(kind, day);
      if ((await bucket.head(exportManifestKey(name))) !== null) continue;
      try {
        await writeExport({ bucket, db }, kind, day, now, partBytes);
        run.written.push(name);
      } catch (error) {
        console.error(`finance export ${name} failed`, error);
        run.failed.push(name);
      }
      // One file per run: a cron invocation's subrequests and time stay bounded (the sweep
      // shares them); the next minute writes the next file.
      if (run.written.length + run.failed.length >= filesPerRun) break outer;
    }
  }
  await pruneFigures(db, last - EXPORT_FIGURES_RETENTION_MS);
  if (run.written.length > 0) console.log("finance exports written", run.written.join(", "));
  return run;
}
