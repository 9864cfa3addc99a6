import type { Env } from "../env";
import {
  EXPORT_CATCH_UP_DAYS,
  EXPORT_FIGURES_RETENTION_MS,
  EXPORT_KINDS,
  exportManifestKey,
  exportName,
  lastDueDay,
} from "../policy/exports";
import { DAY_MS, type Instant } from "../policy/time";
import { markListed, writeDueCorrections } from "./exportCorrections";
import { PART_BYTES, writeExportFile } from "./exportFiles";

/**
 * The daily finance exports (docs/history.md#finance-exports), written by the cron to the
 * ARCHIVE bucket from what the workspaces' fleet reports put in the index (D1): no workspace is
 * woken for them. Day D's two files are written once the day is EXPORT_DELAY_MS behind (D+1
 * 00:15 UTC), when every workspace had its chance to report: `credits-D.csv` (workspace, day,
 * feature, credits) and `statements-D.csv` (every period closed on D). Written once: a file whose
 * manifest exists is never written again, so a rerun (the next minute's cron, a retry) is a no-op.
 * What reaches the index after a day's file goes to that day's correction files
 * (src/cron/exportCorrections.ts, docs/history.md#late-figures-correction-files).
 *
 * Bounded: D1 is read by pages of EXPORT_PAGE_ROWS (keyset, on the tables' keys), a file goes to
 * R2 in parts of `partBytes` once it outgrows one (a multipart upload, never the whole file in
 * memory), at most `filesPerRun` files a run, the cron looks back EXPORT_CATCH_UP_DAYS days at
 * most for a day's file (and over the figures' retention for corrections), and prunes the
 * index's figures by bounded batches.
 */

/** Files written per cron run, day files and corrections together (the tests write several). */
export const FILES_PER_RUN = 1;
/** Figures pruned per table per cron run. */
const PRUNE_ROWS = 10_000;

export interface ExportsRun {
  written: string[];
  failed: string[];
}

/**
 * Seals a day's file before it is read: from this row on, a report adds the day's figures to its
 * corrections, so the day's own figures stay what the file reads (a rerun writes the same file).
 */
const SEAL = `INSERT INTO fleet_export_days (kind, day) VALUES (?, ?)
  ON CONFLICT (kind, day) DO NOTHING`;

/** The days in the look-back whose file D1 knows is listed (the rest are asked of R2). */
const LISTED_DAYS = `SELECT kind, day FROM fleet_export_days
  WHERE day >= ? AND day <= ? AND listed >= 0`;

/** Drops the index's figures of days older than their retention, a bounded batch per table. */
async function pruneFigures(db: D1Database, before: Instant): Promise<void> {
  const prune = (table: string, key: string, dayColumn: string) =>
    db
      .prepare(
        `DELETE FROM ${table} WHERE (${key}) IN
           (SELECT ${key} FROM ${table} WHERE ${dayColumn} < ? LIMIT ?)`,
      )
      .bind(before, PRUNE_ROWS);
  await db.batch([
    prune("fleet_credits_daily", "day, workspace_id, feature", "day"),
    db
      .prepare(
        `DELETE FROM fleet_statements WHERE rowid IN
           (SELECT rowid FROM fleet_statements WHERE closed_day < ? LIMIT ?)`,
      )
      .bind(before, PRUNE_ROWS),
    prune("fleet_credits_late", "day, correction, workspace_id, feature", "day"),
    prune(
      "fleet_statements_late",
      "closed_day, correction, workspace_id, period_start",
      "closed_day",
    ),
    prune("fleet_export_days", "kind, day", "day"),
  ]);
}

/**
 * Writes the next files due at `now` that are not in the bucket yet (the last
 * EXPORT_CATCH_UP_DAYS days, the newest first), then the corrections of days already written,
 * `filesPerRun` files in all, then prunes old figures. A file that fails is logged, left unlisted
 * (its partial upload aborted) and tried again by the next cron.
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
  const known = await db
    .prepare(LISTED_DAYS)
    .bind(oldest, last)
    .all<{ kind: string; day: number }>();
  const listed = new Set(known.results.map((r) => `${r.kind}|${r.day}`));
  outer: for (let day = last; day >= oldest; day -= DAY_MS) {
    for (const kind of EXPORT_KINDS) {
      if (listed.has(`${kind}|${day}`)) continue;
      const name = exportName(kind, day);
      try {
        if ((await bucket.head(exportManifestKey(name))) !== null) {
          // Listed, but D1 was not told (a run that stopped before its mark, or a file written
          // before the corrections existed): from now on its late figures go to corrections.
          await markListed(db, kind, day, 0).run();
          continue;
        }
        await db.prepare(SEAL).bind(kind, day).run();
        await writeExportFile({ bucket, db }, { kind, day, correction: 0 }, now, partBytes);
        await markListed(db, kind, day, 0).run();
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
  const budget = filesPerRun - run.written.length - run.failed.length;
  if (budget > 0) {
    const corrections = await writeDueCorrections({ bucket, db }, now, {
      partBytes,
      files: budget,
      since: last - EXPORT_FIGURES_RETENTION_MS,
    });
    run.written.push(...corrections.written);
    run.failed.push(...corrections.failed);
  }
  await pruneFigures(db, last - EXPORT_FIGURES_RETENTION_MS);
  if (run.written.length > 0) console.log("finance exports written", run.written.join(", "));
  return run;
}
