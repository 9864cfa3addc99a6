import { type ExportKind, exportManifestKey, exportName } from "../policy/exports";
import type { Instant } from "../policy/time";
import { writeExportFile } from "./exportFiles";

/**
 * The correction files of the finance exports (docs/history.md#late-figures-correction-files):
 * what reaches the index after a day's file was written, in `{kind}-{day}.correction-{n}.csv`,
 * written once like the day's file. A fleet report adds a sealed day's figures to the day's open
 * correction (`fleet_export_days.next_correction`, src/workspace/fleetExports.ts); this pass, run
 * by the cron after the day files, turns each open correction that holds something into a file:
 *
 * 1. close it in D1 (`next_correction` n → n + 1, only from n): later reports go to n + 1, so
 *    what n holds is fixed, and its number is D1's, never chosen twice;
 * 2. write its file, then its manifest (the file is listed from then on);
 * 3. mark it listed in D1 (`listed` = n).
 *
 * R2 and D1 are not one transaction, so a run may stop between any two steps; the next run sees
 * a correction closed but not marked listed (`listed` < `next_correction` - 1) and asks R2: a
 * manifest means the file is listed (mark it, write nothing: no line twice), none means it is
 * written again from the same fixed figures (whole, the same lines: none lost). A correction is
 * closed only when it holds a figure, so no correction file is empty, and nothing late, nothing
 * written. Corrections follow their day's file: none is written before the day's own is listed.
 */

/** Marks a day's file (0) or correction n listed, never moving the mark back. */
export const markListed = (db: D1Database, kind: ExportKind, day: Instant, n: number) =>
  db
    .prepare(
      `INSERT INTO fleet_export_days (kind, day, listed) VALUES (?, ?, ?)
       ON CONFLICT (kind, day) DO UPDATE SET listed = excluded.listed
       WHERE listed < excluded.listed`,
    )
    .bind(kind, day, n);

/**
 * The sealed days with a correction to write: one closed but not marked listed, or an open one
 * that holds a figure. At most two rows a day kept (EXPORT_FIGURES_RETENTION_MS), each an indexed
 * probe: cheap every minute.
 */
const DUE = `SELECT kind, day, next_correction, listed FROM fleet_export_days AS e
  WHERE day >= ? AND (
    (listed >= 0 AND listed < next_correction - 1)
    OR (kind = 'credits' AND EXISTS (SELECT 1 FROM fleet_credits_late AS l
      WHERE l.day = e.day AND l.correction = e.next_correction))
    OR (kind = 'statements' AND EXISTS (SELECT 1 FROM fleet_statements_late AS s
      WHERE s.closed_day = e.day AND s.correction = e.next_correction)))
  ORDER BY day, kind`;

/**
 * Closes correction n if it holds a figure: reports go to n + 1 from then on. Only from n, so
 * two runs never both close it; never an empty one, so no correction file is empty.
 */
const CLOSE: Record<ExportKind, string> = {
  credits: `UPDATE fleet_export_days SET next_correction = next_correction + 1
    WHERE kind = 'credits' AND day = ? AND next_correction = ? AND EXISTS
      (SELECT 1 FROM fleet_credits_late WHERE day = ? AND correction = ?)`,
  statements: `UPDATE fleet_export_days SET next_correction = next_correction + 1
    WHERE kind = 'statements' AND day = ? AND next_correction = ? AND EXISTS
      (SELECT 1 FROM fleet_statements_late WHERE closed_day = ? AND correction = ?)`,
};

interface DueDay {
  kind: ExportKind;
  day: number;
  next_correction: number;
  listed: number;
}

/**
 * Writes the due corrections of days kept since `since`, the oldest day first, one a day and
 * `files` in all at most; answers the names written and failed (a failed one is tried again by
 * the next run).
 */
export async function writeDueCorrections(
  env: { bucket: R2Bucket; db: D1Database },
  now: Instant,
  { partBytes, files, since }: { partBytes: number; files: number; since: Instant },
): Promise<{ written: string[]; failed: string[] }> {
  const { bucket, db } = env;
  const run = { written: [] as string[], failed: [] as string[] };
  const due = await db.prepare(DUE).bind(since).all<DueDay>();
  for (const { kind, day, next_correction: next, listed } of due.results) {
    if (run.written.length + run.failed.length >= files) break;
    let n = listed + 1;
    try {
      if (listed < 0) {
        // Late figures of a day whose file D1 does not know is listed: they wait for it.
        if ((await bucket.head(exportManifestKey(exportName(kind, day)))) === null) continue;
        await markListed(db, kind, day, 0).run();
        n = 1;
      }
      if (n < next && (await bucket.head(exportManifestKey(exportName(kind, day, n)))) !== null) {
        // Closed and listed by a run that stopped before its mark: marked, never written twice.
        await markListed(db, kind, day, n).run();
        n++;
      }
      if (n === next) {
        const closed = await db.prepare(CLOSE[kind]).bind(day, n, day, n).run();
        // Nothing in it (what was due is marked above), or another run closed it and writes it.
        if (closed.meta.changes !== 1) continue;
      }
      // Closed: its figures are fixed, and a rerun after a crash writes the same lines.
      const name = await writeExportFile(
        { bucket, db },
        { kind, day, correction: n },
        now,
        partBytes,
      );
      await markListed(db, kind, day, n).run();
      run.written.push(name);
    } catch (error) {
      const name = exportName(kind, day, n);
      console.error(`finance export ${name} failed`, error);
      run.failed.push(name);
    }
  }
  return run;
}
