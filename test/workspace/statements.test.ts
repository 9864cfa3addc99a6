import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/policy/time";
import type { WorkspaceObject } from "../../src/workspace/object";
import { freezeTime, freshWorkspace, settledAlarm } from "../support/helpers";
import { service } from "../support/roles";

/**
 * The hot path's cost in SQL, counted (never timed): statements, rows read and rows written per
 * call, as the cursor reports them (the figures Cloudflare bills). Measured on a warm object with
 * nothing due, real clock, through the object's own methods (the routes add no SQL).
 *
 * The budgets below are the ceiling the hot path must stay under; a change that adds a query
 * to check or consume fails here.
 */

/**
 * Ceilings at what the hot path costs now (issue #12's targets: check ≤ 4 statements and no
 * write, consume ≤ 8 statements and ≤ 3 rows written). The one statement of a check is the
 * test clock, read because these tests run with TEST_CLOCKS on; in production a check runs
 * none. Rows written count index rows; the ledger has no AUTOINCREMENT sequence row since
 * issue #19 (its sequence is kept in memory), so a consume writes its counter and its entry.
 */
const BUDGET = {
  check: { statements: 1, rowsWritten: 0 },
  consume: { statements: 3, rowsWritten: 2 },
  consumeWithKey: { statements: 5, rowsWritten: 4 },
  reserve: { statements: 4, rowsWritten: 6 },
  commit: { statements: 6, rowsWritten: 6 },
} as const;

/** Calls per measurement: the figure is the average, so a per-call cost shows as a whole number. */
const CALLS = 20;

interface Cost {
  statements: number;
  rowsRead: number;
  rowsWritten: number;
}

type Instance = WorkspaceObject;

/**
 * Runs `op` CALLS times inside the object and answers the SQL it ran per call. Every statement
 * goes through `sql.exec`; its cursor is read after the call, once fully consumed.
 */
async function measure(
  ws: string,
  op: (instance: Instance, i: number) => unknown,
): Promise<Cost & { queries: string[] }> {
  return runInDurableObject(env.WORKSPACE.getByName(ws), async (instance: Instance, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    const cursors: { query: string; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[] =
      [];
    sql.exec = ((query: string, ...params: unknown[]) => {
      const cursor = exec(query, ...params);
      cursors.push({ query, cursor });
      return cursor;
    }) as typeof sql.exec;
    try {
      for (let i = 0; i < CALLS; i++) {
        const reply = await op(instance, i);
        expect(reply).toMatchObject({ ok: true });
      }
    } finally {
      sql.exec = exec as typeof sql.exec;
    }
    const sum = (f: (c: SqlStorageCursor<Record<string, SqlStorageValue>>) => number) =>
      cursors.reduce((n, c) => n + f(c.cursor), 0) / CALLS;
    return {
      statements: cursors.length / CALLS,
      rowsRead: sum((c) => c.rowsRead),
      rowsWritten: sum((c) => c.rowsWritten),
      queries: [...new Set(cursors.map((c) => c.query.replace(/\s+/g, " ").trim()))],
    };
  });
}

const spend = { feature: "ai_rewriter" as const, credits: 1 };

/** A subscribed workspace on the real clock, warmed by a few calls of every kind. */
async function warmWorkspace(): Promise<string> {
  const ws = freshWorkspace("stmt");
  const stub = env.WORKSPACE.getByName(ws);
  const sub = await stub.putSubscription(
    ws,
    {
      plan: "pro",
      seats: 100,
      periodAnchor: new Date(Date.now() - DAY_MS).toISOString(),
      overrides: { aiCreditsPerSeat: 1_000_000 },
    },
    { role: "platform" },
  );
  expect(sub.ok).toBe(true);
  expect((await stub.setFeatureLimit("ai_rewriter", 50_000_000, { role: "admin" })).ok).toBe(true);
  for (let i = 0; i < 3; i++) {
    await stub.checkCredits(spend);
    await stub.consumeCredits(spend, service);
    await stub.consumeCredits(spend, { ...service, idempotencyKey: `warm-${i}`, fingerprint: "f" });
    const r = await stub.reserveCredits({ ...spend, ttlSeconds: 3600 }, service);
    if (!r.ok || r.value.reservationId === null) throw new Error("warm-up reserve refused");
    await stub.commitReservation(r.value.reservationId, 1, service);
  }
  // A first hold earlier than the due index's deadline has the alarm report it at once; let
  // that due work run, so the measured calls find the object settled with nothing due.
  expect(await settledAlarm(ws)).not.toBeNull();
  await stub.checkCredits(spend);
  await stub.consumeCredits(spend, service);
  return ws;
}

/** Prints the figures (the bench quotes them) and checks no hot call prunes or settles. */
function report(name: string, cost: Cost & { queries: string[] }) {
  console.log(
    `${name}: ${cost.statements} statements, ${cost.rowsRead} rows read, ${cost.rowsWritten} rows written per call`,
  );
  for (const q of cost.queries) console.log(`  ${q}`);
  expect(
    cost.queries.filter(
      (q) => /^(DELETE|UPDATE)\b/i.test(q) && !q.includes("credit_reservations SET state = ?"),
    ),
  ).toEqual([]);
}

describe("the hot path's SQL per call (warm object, nothing due)", () => {
  freezeTime();
  it("check: a few reads, nothing written", async () => {
    const ws = await warmWorkspace();
    const cost = await measure(ws, (o) => o.checkCredits(spend));
    report("check", cost);
    expect(cost.statements).toBeLessThanOrEqual(BUDGET.check.statements);
    expect(cost.rowsWritten).toBe(BUDGET.check.rowsWritten);
  });

  it("check with its answer serialized by the object (the fast lane's): the same cost", async () => {
    const ws = await warmWorkspace();
    const cost = await measure(ws, (o) => o.checkCreditsJson(spend));
    report("checkCreditsJson", cost);
    expect(cost.statements).toBeLessThanOrEqual(BUDGET.check.statements);
    expect(cost.rowsWritten).toBe(BUDGET.check.rowsWritten);
  });

  it("consume: a counter and a ledger row", async () => {
    const ws = await warmWorkspace();
    const cost = await measure(ws, async (o) => {
      const r = await o.consumeCredits(spend, service);
      expect(r).toMatchObject({ ok: true, value: { allowed: true } });
      return r;
    });
    report("consume", cost);
    expect(cost.statements).toBeLessThanOrEqual(BUDGET.consume.statements);
    expect(cost.rowsWritten).toBeLessThanOrEqual(BUDGET.consume.rowsWritten);
  });

  it("consume with an Idempotency-Key: plus one lookup and one remembered answer", async () => {
    const ws = await warmWorkspace();
    const cost = await measure(ws, (o, i) =>
      o.consumeCredits(spend, { ...service, idempotencyKey: `k-${i}`, fingerprint: "f" }),
    );
    report("consume with key", cost);
    expect(cost.statements).toBeLessThanOrEqual(BUDGET.consumeWithKey.statements);
    expect(cost.rowsWritten).toBeLessThanOrEqual(BUDGET.consumeWithKey.rowsWritten);
  });

  it("reserve and commit", async () => {
    const ws = await warmWorkspace();
    const ids: string[] = [];
    const reserve = await measure(ws, async (o) => {
      const r = await o.reserveCredits({ ...spend, ttlSeconds: 3600 }, service);
      if (r.ok && r.value.reservationId !== null) ids.push(r.value.reservationId);
      return r;
    });
    report("reserve", reserve);
    const commit = await measure(ws, (o, i) => o.commitReservation(ids[i] ?? "", 1, service));
    report("commit", commit);
    expect(reserve.statements).toBeLessThanOrEqual(BUDGET.reserve.statements);
    expect(reserve.rowsWritten).toBeLessThanOrEqual(BUDGET.reserve.rowsWritten);
    expect(commit.statements).toBeLessThanOrEqual(BUDGET.commit.statements);
    expect(commit.rowsWritten).toBeLessThanOrEqual(BUDGET.commit.rowsWritten);
  });
});
