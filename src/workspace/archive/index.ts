import {
  type ArchiveKind,
  archiveName,
  dataKey,
  type Manifest,
  manifestKey,
  toMetadata,
  utcDay,
} from "../../policy/archive";
import { EVENT_RETENTION_MS } from "../../policy/delivery";
import {
  DAY_MS,
  earliest,
  HOUR_MS,
  type Instant,
  iso,
  isoOrNull,
  MINUTE_MS,
} from "../../policy/time";
import type { Store } from "../../storage";
import type { Domain, Site } from "../domain";
import { LEDGER_FLOOR_KEY } from "../memoryLedger";
import { encode, sha256Hex } from "./files";
import { pruneRollups, rollUpThrough, rollupMigrations } from "./rollups";
import { statementMigrations } from "./statements";

/**
 * Archive before prune (docs/rules.md, "History is never lost"): ledger entries and events that
 * leave the object's raw window are written to the ARCHIVE bucket, one UTC day at a time, and
 * deleted from the object only once the write is confirmed. Runs after due work's transaction,
 * from the alarm or the cron, never on a check or spend: a decision never waits on R2.
 */

/**
 * How long the object keeps a ledger entry raw: two of the longest periods, so the period in
 * force and the one before it (whatever the anchor) are always whole in the object; the
 * idempotency window (a day) and a hold's TTL are far shorter. Older entries are archived.
 */
export const LEDGER_RAW_MS = 62 * DAY_MS;
/** Entries per file: a UTC day with more is written as several files (consecutive sequences). */
export const ARCHIVE_BATCH_ROWS = 5_000;
/** Files per due-work run; a backlog has the alarm come back at once (its deadline has passed). */
const FILES_PER_RUN = 8;
/** An R2 call that has not answered by then is a failure (retried later, nothing deleted). */
const R2_TIMEOUT_MS = 15_000;
/** The failed run's state: when the next attempt may run and why the last one failed. */
export const RETRY_KEY = "archive.retry";

export interface ArchiveRetry {
  attempts: number;
  retryAt: Instant;
  error: string;
}

/** 1, 2, 4 … minutes after each consecutive failure, at most 6 hours. */
export const backoffMs = (attempts: number): number =>
  Math.min(MINUTE_MS * 2 ** Math.max(0, attempts - 1), 6 * HOUR_MS);

const dayEnd = (at: Instant): Instant => (Math.floor(at / DAY_MS) + 1) * DAY_MS;

interface LedgerRow {
  id: number;
  at: number;
  kind: string;
  feature: string | null;
  credits: number;
  reservation_id: string | null;
  idempotency_key: string | null;
  role: string | null;
  period_start: number;
  agent_id: string | null;
  /** Which sources paid it, as the ledger stores it (JSON; null: the pool): docs/budgets.md. */
  sources: string | null;
}

interface EventArchiveRow {
  seq: number;
  id: string;
  type: string;
  occurred_at: number;
  data: string;
  recorded_at: number;
  delivery_status: string;
  attempts: number;
  delivered_at: number | null;
}

/** One file's worth: consecutive sequences of one kind, from the object's oldest. */
interface Batch {
  kind: ArchiveKind;
  firstAt: Instant;
  firstSeq: number;
  lastSeq: number;
  lines: unknown[];
}

/** When the oldest raw ledger entry's whole UTC day has left the raw window (null: none). */
function ledgerDueAt(store: Store): Instant | null {
  const head = store.one<{ at: number }>("SELECT at FROM credit_ledger ORDER BY id LIMIT 1");
  return head === undefined ? null : dayEnd(head.at) + LEDGER_RAW_MS;
}

/** When the oldest event done with delivery has its whole UTC day past retention (null: none). */
function eventsDueAt(store: Store): Instant | null {
  const head = store.one<{ recorded_at: number; delivery_status: string }>(
    "SELECT recorded_at, delivery_status FROM events ORDER BY seq LIMIT 1",
  );
  if (head === undefined || head.delivery_status === "pending") return null;
  return dayEnd(head.recorded_at) + EVENT_RETENTION_MS;
}

function ledgerBatch(store: Store, now: Instant): Batch | undefined {
  const due = ledgerDueAt(store);
  if (due === null || due > now) return undefined;
  const rows = store.all<LedgerRow>(
    `SELECT id, at, kind, feature, credits, reservation_id, idempotency_key, role, period_start,
            agent_id, sources
     FROM credit_ledger ORDER BY id LIMIT ?`,
    ARCHIVE_BATCH_ROWS,
  );
  const first = rows[0];
  if (first === undefined) return undefined;
  // The first entry's day, and any earlier-dated entry among them (an expiry is dated when
  // its hold lapsed): consecutive sequences up to the first entry of a later day.
  const end = rows.findIndex((r) => r.at >= dayEnd(first.at));
  const taken = end === -1 ? rows : rows.slice(0, end);
  return {
    kind: "ledger",
    firstAt: first.at,
    firstSeq: first.id,
    lastSeq: taken.at(-1)?.id ?? first.id,
    lines: taken.map((r) => ({
      seq: r.id,
      at: iso(r.at),
      kind: r.kind,
      feature: r.feature,
      credits: r.credits,
      reservationId: r.reservation_id,
      idempotencyKey: r.idempotency_key,
      role: r.role,
      periodStart: iso(r.period_start),
      agentId: r.agent_id,
      sources: r.sources === null ? null : JSON.parse(r.sources),
    })),
  };
}

function eventsBatch(store: Store, now: Instant): Batch | undefined {
  const due = eventsDueAt(store);
  if (due === null || due > now) return undefined;
  const rows = store.all<EventArchiveRow>(
    `SELECT seq, id, type, occurred_at, data, recorded_at, delivery_status, attempts, delivered_at
     FROM events ORDER BY seq LIMIT ?`,
    ARCHIVE_BATCH_ROWS,
  );
  const first = rows[0];
  if (first === undefined) return undefined;
  // A pending event stays (its delivery is not done), and everything after it with it.
  const end = rows.findIndex(
    (r) => r.recorded_at >= dayEnd(first.recorded_at) || r.delivery_status === "pending",
  );
  const taken = end === -1 ? rows : rows.slice(0, end);
  if (taken.length === 0) return undefined;
  return {
    kind: "events",
    firstAt: first.recorded_at,
    firstSeq: first.seq,
    lastSeq: taken.at(-1)?.seq ?? first.seq,
    lines: taken.map((r) => ({
      seq: r.seq,
      id: r.id,
      type: r.type,
      occurredAt: iso(r.occurred_at),
      recordedAt: iso(r.recorded_at),
      data: JSON.parse(r.data) as unknown,
      delivery: {
        status: r.delivery_status,
        attempts: r.attempts,
        deliveredAt: isoOrNull(r.delivered_at),
      },
    })),
  };
}

function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${R2_TIMEOUT_MS} ms`)),
      R2_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

const hex = (buffer: ArrayBuffer): string =>
  [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Writes a batch's file and manifest and confirms both: the file's SHA-256 as R2 computed it
 * (or, when R2 answers none, as read back) and the manifest read back. Throws when either is
 * not confirmed. The same batch always has the same name and bytes, so a rerun after a crash
 * between this write and the delete rewrites the file, never adds a second one.
 */
async function writeConfirmed(
  bucket: R2Bucket,
  workspaceId: string,
  batch: Batch,
  now: Instant,
): Promise<Manifest> {
  const bytes = await encode(batch.lines);
  const sha256 = await sha256Hex(bytes);
  const name = archiveName(batch.kind, batch.firstAt, batch.firstSeq);
  const manifest: Manifest = {
    key: name,
    workspaceId,
    kind: batch.kind,
    day: utcDay(batch.firstAt),
    rows: batch.lines.length,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    sha256,
    bytes: bytes.length,
    writtenAt: iso(now),
  };
  const key = dataKey(workspaceId, name);
  const put = await withTimeout(
    "archive write",
    bucket.put(key, bytes, {
      sha256,
      httpMetadata: { contentType: "application/gzip" },
      customMetadata: toMetadata(manifest),
    }),
  );
  let stored = put?.checksums.sha256 === undefined ? undefined : hex(put.checksums.sha256);
  if (stored === undefined) {
    const back = await withTimeout("archive read-back", bucket.get(key));
    stored = back === null ? undefined : await sha256Hex(new Uint8Array(await back.arrayBuffer()));
  }
  if (stored !== sha256) throw new Error(`archive write of ${name} not confirmed (checksum)`);
  const text = JSON.stringify(manifest);
  await withTimeout("manifest write", bucket.put(manifestKey(workspaceId, name), text));
  const back = await withTimeout("manifest read-back", bucket.get(manifestKey(workspaceId, name)));
  if (back === null || (await back.text()) !== text) {
    throw new Error(`manifest of ${name} not confirmed`);
  }
  return manifest;
}

/**
 * Deletes a confirmed batch from the object in one transaction: the roll-ups are brought
 * through its last sequence first (the alarm has usually rolled it up long before: only what it
 * has not is added, so no entry counts twice), and the floor moves to its last sequence, so
 * sequences go on after it.
 */
function removeArchived(site: Site, batch: Batch): void {
  const store = site.store;
  site.transactionSync(() => {
    if (batch.kind === "ledger") {
      rollUpThrough(store, batch.lastSeq);
      const floor = store.getMeta<number>(LEDGER_FLOOR_KEY) ?? 0;
      if (batch.lastSeq > floor) store.setMeta(LEDGER_FLOOR_KEY, batch.lastSeq);
      store.run(
        "DELETE FROM credit_ledger WHERE id BETWEEN ? AND ?",
        batch.firstSeq,
        batch.lastSeq,
      );
    } else {
      store.run("DELETE FROM events WHERE seq BETWEEN ? AND ?", batch.firstSeq, batch.lastSeq);
    }
  });
}

export interface ArchiveRun {
  files: number;
  failed?: string;
}

/**
 * One run: up to FILES_PER_RUN files, oldest first, each deleted once confirmed. A failure
 * deletes nothing of its batch, is kept with the next attempt's time (backoff), and is never
 * thrown: due work goes on, and the next run retries.
 */
export async function archiveDue(
  site: Site,
  workspaceId: string,
  clock: () => Instant,
): Promise<ArchiveRun> {
  const bucket = site.env.ARCHIVE;
  const run: ArchiveRun = { files: 0 };
  if (bucket === undefined) return run;
  const { store } = site;
  const retry = store.getMeta<ArchiveRetry>(RETRY_KEY);
  if (retry !== undefined && retry.retryAt > clock()) return run;
  try {
    while (run.files < FILES_PER_RUN) {
      const now = clock();
      const batch = ledgerBatch(store, now) ?? eventsBatch(store, now);
      if (batch === undefined) break;
      await writeConfirmed(bucket, workspaceId, batch, now);
      removeArchived(site, batch);
      run.files++;
    }
    if (retry !== undefined) store.run("DELETE FROM meta WHERE key = ?", RETRY_KEY);
  } catch (error) {
    const attempts = (retry?.attempts ?? 0) + 1;
    run.failed = error instanceof Error ? error.message : String(error);
    const next: ArchiveRetry = {
      attempts,
      retryAt: clock() + backoffMs(attempts),
      error: run.failed,
    };
    store.setMeta(RETRY_KEY, next);
  }
  return run;
}

/** When the archive next has work: the oldest raw day past its window, not before a retry. */
export function archiveDeadline(site: Site): Instant | null {
  if (site.env.ARCHIVE === undefined) return null;
  const due = earliest(ledgerDueAt(site.store), eventsDueAt(site.store));
  if (due === null) return null;
  const retry = site.store.getMeta<ArchiveRetry>(RETRY_KEY);
  return Math.max(due, retry?.retryAt ?? due);
}

/**
 * The archive as one of the object's domains: due when the oldest raw day leaves its window
 * (or a failed run's backoff ends), run after due work's transaction, like deliveries.
 */
export const archiveDomain: Domain = {
  migrations: [...rollupMigrations, ...statementMigrations],
  prune: pruneRollups,
  dueDeadline: archiveDeadline,
  afterDueWork: (site, workspaceId, clock) => archiveDue(site, workspaceId, clock),
};
