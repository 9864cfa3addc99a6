import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/policy/time";
import { backoffMs, LEDGER_RAW_MS, RETRY_KEY } from "../../src/workspace/archive";
import type { CallMeta } from "../../src/workspace/context";
import { WorkspaceObject } from "../../src/workspace/object";
import { archivedFiles, failingBucket, rawLedger, subscribedForHistory } from "../support/archive";
import { freezeTime, freshWorkspace } from "../support/helpers";

/**
 * Archive before prune (issue #19): every ledger entry and event ever written is in exactly one
 * of the object and the archive, the object holds no raw entry older than its window, and an
 * archive that fails deletes nothing and never touches a decision.
 */

const service: CallMeta = { role: "service" };
const T0 = Date.parse("2026-01-10T09:00:00Z");
const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);
const FEATURES = ["copilot", "ai_rewriter", "ai_summarize"] as const;

const subscribed = (ws: string) => subscribedForHistory(ws, T0);

/** Spends every day for `days` days (a few entries a day, one a reservation), clock moving daily. */
async function spendDaily(ws: string, days: number, from = 0) {
  const stub = stubOf(ws);
  let charged = 0;
  for (let d = from; d < from + days; d++) {
    expect(await stub.setTestClock(T0 + d * DAY_MS)).toMatchObject({ ok: true });
    const feature = FEATURES[d % FEATURES.length] ?? "copilot";
    const r = await stub.consumeCredits({ feature, credits: 1 + (d % 5) }, service);
    expect(r).toMatchObject({ ok: true, value: { allowed: true } });
    charged += 1 + (d % 5);
    if (d % 7 === 0) {
      const held = await stub.reserveCredits({ feature, credits: 3, ttlSeconds: 600 }, service);
      if (!held.ok || held.value.reservationId === null) throw new Error("reserve refused");
      await stub.commitReservation(held.value.reservationId, 2, service);
      charged += 2;
    }
  }
  return charged;
}

describe("archive before prune", () => {
  freezeTime();

  it("500 days of daily spending: every entry in exactly one place, none older than the window", async () => {
    const ws = freshWorkspace("arch");
    await subscribed(ws);
    const charged = await spendDaily(ws, 500);
    const now = T0 + 499 * DAY_MS;

    const raw = await rawLedger(ws);
    const files = await archivedFiles(ws, "ledger");
    const archived = files.flatMap(
      (f) => f.rows as { seq: number; kind: string; credits: number }[],
    );
    const seqs = [...archived.map((r) => r.seq), ...raw.map((r) => r.id)].sort((a, b) => a - b);
    // No gap, no duplicate: 1..n, each once.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(archived.length).toBeGreaterThan(300);
    // Every charge is somewhere, to the credit.
    const sumCharged = (rows: { kind: string; credits: number }[]) =>
      rows
        .filter((r) => r.kind === "debit" || r.kind === "commit")
        .reduce((n, r) => n + r.credits, 0);
    expect(sumCharged(archived) + sumCharged(raw)).toBe(charged);
    // The object keeps no raw entry whose UTC day left the window.
    const oldest = raw[0]?.at ?? now;
    expect(oldest).toBeGreaterThanOrEqual(now - LEDGER_RAW_MS - DAY_MS);
    // Each manifest says what its file holds.
    for (const { manifest, rows } of files) {
      expect(manifest.rows).toBe(rows.length);
      expect(manifest.firstSeq).toBe((rows[0] as { seq: number }).seq);
      expect(manifest.lastSeq).toBe((rows.at(-1) as { seq: number }).seq);
      expect(manifest.lastSeq - manifest.firstSeq + 1).toBe(rows.length);
      const stored = await env.ARCHIVE.get(`manifests/${ws}/${manifest.key}.json`);
      expect(JSON.parse((await stored?.text()) ?? "{}")).toEqual(manifest);
    }
    // Every closed period's statement equals the ledger's sums over it, archive included.
    const byPeriod = new Map<number, number>();
    const add = (periodStart: number, kind: string, credits: number) => {
      if (kind === "debit" || kind === "commit") {
        byPeriod.set(periodStart, (byPeriod.get(periodStart) ?? 0) + credits);
      }
    };
    for (const r of files.flatMap(
      (f) => f.rows as { periodStart: string; kind: string; credits: number }[],
    )) {
      add(Date.parse(r.periodStart), r.kind, r.credits);
    }
    for (const r of raw) add(r.period_start, r.kind, r.credits);
    const list = await stubOf(ws).creditStatements(undefined, 100);
    if (!list.ok) throw new Error("no statements");
    // Dec 15 (the first, begun before the subscription) through Apr 15, 2027: 17 closed periods.
    expect(list.value.statements).toHaveLength(17);
    for (const s of list.value.statements) {
      expect(s.used).toBe(byPeriod.get(Date.parse(s.periodStart)) ?? 0);
    }
    // Events too: the renewals' resets older than 90 days are archived, the rest kept.
    const events = await archivedFiles(ws, "events");
    expect(events.flatMap((f) => f.rows).length).toBeGreaterThan(5);
  }, 240_000);

  it.each(["throws", "unconfirmed"] as const)(
    "an archive that %s deletes nothing, never fails a decision, and is retried with backoff",
    async (mode) => {
      const ws = freshWorkspace("arch");
      await subscribed(ws);
      await spendDaily(ws, 3);
      const before = await rawLedger(ws);
      const later = T0 + 3 * DAY_MS + LEDGER_RAW_MS + DAY_MS;
      await runInDurableObject(stubOf(ws), async (_: WorkspaceObject, state) => {
        const broken = new WorkspaceObject(state, { ...env, ARCHIVE: failingBucket(mode) });
        expect(await broken.setTestClock(later)).toMatchObject({ ok: true });
        // A decision meanwhile: answered, charged.
        expect(
          await broken.consumeCredits({ feature: "copilot", credits: 1 }, service),
        ).toMatchObject({
          ok: true,
          value: { allowed: true },
        });
        const retry = JSON.parse(
          state.storage.sql
            .exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", RETRY_KEY)
            .one().value,
        );
        expect(retry).toMatchObject({ attempts: 1, retryAt: later + backoffMs(1) });
        // Before the backoff ends, a run tries nothing; after it, it fails again, backing off more.
        expect(await broken.setTestClock(later + backoffMs(1))).toMatchObject({ ok: true });
        const again = JSON.parse(
          state.storage.sql
            .exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", RETRY_KEY)
            .one().value,
        );
        expect(again).toMatchObject({ attempts: 2, retryAt: later + backoffMs(1) + backoffMs(2) });
      });
      // Nothing pruned: every entry is still in the object, plus the consume.
      expect((await rawLedger(ws)).slice(0, before.length)).toEqual(before);
      // The next housekeeping with R2 back archives it all, once.
      const stub = stubOf(ws);
      await stub.setTestClock(later + 10 * backoffMs(2));
      const files = await archivedFiles(ws, "ledger");
      const seqs = files.flatMap((f) => f.rows.map((r) => r.seq as number));
      expect(seqs).toEqual(before.map((r) => r.id));
      expect(new Set(files.map((f) => f.manifest.key)).size).toBe(files.length);
    },
  );

  it("a write that landed but was never confirmed is rewritten, not duplicated", async () => {
    const ws = freshWorkspace("arch");
    await subscribed(ws);
    await spendDaily(ws, 2);
    const later = T0 + 2 * DAY_MS + LEDGER_RAW_MS + DAY_MS;
    await runInDurableObject(stubOf(ws), async (_: WorkspaceObject, state) => {
      // The file is written, then the object stops before deleting (as a crash would leave it).
      const broken = new WorkspaceObject(state, { ...env, ARCHIVE: failingBucket("unconfirmed") });
      await broken.setTestClock(later);
    });
    const written = await env.ARCHIVE.list({ prefix: `archive/${ws}/ledger` });
    expect(written.objects.length).toBeGreaterThan(0);
    await stubOf(ws).setTestClock(later + DAY_MS);
    const files = await archivedFiles(ws, "ledger");
    const seqs = files.flatMap((f) => f.rows.map((r) => r.seq as number));
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    // The same name, rewritten with the same rows: one file, not two.
    const keys = files.map((f) => f.manifest.key);
    for (const o of written.objects) expect(keys).toContain(o.key.split("/").at(-1));
    expect(new Set(keys).size).toBe(keys.length);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(await rawLedger(ws)).toEqual([]);
  });
});
