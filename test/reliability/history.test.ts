import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, freshWorkspace, token } from "../support/helpers";
import { reportFigures } from "./figures";
import {
  type Change,
  CLEAN,
  type Counters,
  checkHistory,
  countersAgainstLedger,
  type LedgerEntry,
  type Observation,
  readLedger,
  type Verdict,
  violations,
} from "./history";
import { seedFrom } from "./rng";
import { bracketed, runWorkload, type Send, subscriptionBody } from "./workload";

/**
 * The history checker on a concurrent run inside workerd: K service clients and an admin on one
 * workspace with a frozen test clock that the admin moves on between changes (so holds expire).
 */
const SEED = seedFrom((env as { RELIABILITY_SEED?: string }).RELIABILITY_SEED);
const START = Date.parse("2026-07-20T00:00:00.000Z");
const PLAN = { seats: 2, anchor: "2026-07-15T00:00:00.000Z", perSeat: 600 };

async function tokens(ws: string) {
  return {
    platform: await token(ws, "platform"),
    admin: await token(ws, "admin"),
    service: await token(ws, "service"),
    viewer: await token(ws, "viewer"),
  };
}

async function concurrentRun(ws: string, size: { clients: number; ops: number; changes: number }) {
  const bearer = await tokens(ws);
  let requests = 0;
  const send: Send = async (method, path, opts) => {
    requests++;
    return call(method, `/v1/workspaces/${ws}${path}`, {
      token: bearer[opts.role],
      body: opts.body,
      headers: opts.key === undefined ? {} : { "idempotency-key": opts.key },
    });
  };
  expect(
    (await send("PUT", "/test-clock", { role: "platform", body: { now: iso(START) } })).status,
  ).toBe(200);
  expect(
    (await send("PUT", "/subscription", { role: "platform", body: subscriptionBody(PLAN) })).status,
  ).toBe(200);
  let clock = START;
  const result = await runWorkload(ws, send, {
    clients: size.clients,
    opsPerClient: size.ops,
    changes: size.changes,
    seed: SEED,
    plan: PLAN,
    between: async () => {
      clock += 30_000;
      await send("PUT", "/test-clock", { role: "platform", body: { now: iso(clock) } });
    },
  });
  const get = (path: string) => send("GET", path, { role: "viewer" });
  const entries = await readLedger(get);
  const counters = (await get("/credits")).json as Counters;
  return { ...result, entries, counters, requests: requests + 0 };
}

const iso = (ms: number) => new Date(ms).toISOString();

const judge = (run: Parameters<typeof checkHistory>[0]): Verdict => checkHistory(run);

describe("history checker", () => {
  it(`finds no overspend, double charge or lost spend in a concurrent run (seed ${SEED})`, {
    timeout: 120_000,
  }, async (ctx) => {
    const ws = freshWorkspace("history");
    const run = await concurrentRun(ws, { clients: 12, ops: 80, changes: 20 });
    const { changes, missing } = bracketed(run.changes, run.entries);
    const verdict = judge({ ...run, changes });
    const counterDiffs = countersAgainstLedger(run.counters, run.entries);
    reportFigures(
      ctx,
      {
        requestsIssued: run.requests,
        overspendFound: verdict.overspend.length,
        doubleCharges: verdict.doubleCharges.length,
        acknowledgedSpendsLost: verdict.lost.length + missing.length,
      },
      `history: seed ${SEED}, ${run.entries.length} ledger rows, ${changes.length} changes, ${run.refused} refusals`,
    );
    // The run exercised what it claims: grants, refusals, holds, commits above the estimate,
    // releases, expiries and changes in the middle of the traffic.
    const kinds = new Set(run.entries.map((e) => e.kind));
    for (const kind of ["debit", "hold", "commit", "release", "expire", "question"]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(run.refused).toBeGreaterThan(0);
    // Top-ups were present and paid: the pool ran out and they were drawn after it.
    expect(run.initial.topups).toBeGreaterThan(0);
    expect(run.entries.some((e) => e.sources.some((s) => s.source !== "pool"))).toBe(true);
    expect(missing).toEqual([]);
    expect(changes).toHaveLength(20);
    expect({ ...verdict, entries: 0 }).toEqual(CLEAN);
    expect(counterDiffs).toEqual([]);
  });

  it("catches a broken history: an injected overspend, a doubled debit, a lost spend, a double commit and an impossible split", {
    timeout: 60_000,
  }, async (ctx) => {
    const ws = freshWorkspace("history");
    const run = await concurrentRun(ws, { clients: 4, ops: 30, changes: 4 });
    reportFigures(ctx, { requestsIssued: run.requests });
    const { changes } = bracketed(run.changes, run.entries);
    const clean = judge({ ...run, changes });
    expect(violations(clean)).toBe(0);
    const lastId = Math.max(...run.entries.map((e) => e.id));
    const last = run.entries.find((e) => e.id === lastId) as LedgerEntry;
    const finalLimits = changes.at(-1)?.limits ?? run.initial;
    const debit = run.entries.find((e) => e.kind === "debit") as LedgerEntry;
    const commit = run.entries.find((e) => e.kind === "commit") as LedgerEntry;

    // 1. A debit beyond the balance and every top-up, appended after the run, paid by the pool
    // or by a top-up: either is an overspend.
    const beyond = finalLimits.balance + (finalLimits.topups ?? 0) + 1;
    for (const source of ["pool", "top-start"]) {
      const overspent = judge({
        ...run,
        changes,
        entries: [
          ...run.entries,
          {
            ...debit,
            id: lastId + 1,
            credits: beyond,
            idempotencyKey: "injected",
            periodStart: last.periodStart,
            sources: [{ source, credits: beyond }],
          },
        ],
      });
      expect(overspent.overspend.map((v) => v.entry)).toContain(lastId + 1);
    }

    // 2. The same key charged twice: a doubled debit, which the counters also disown.
    const doubled = [...run.entries, { ...debit, id: lastId + 1, credits: 1 }];
    expect(judge({ ...run, changes, entries: doubled }).doubleCharges).not.toEqual([]);
    expect(countersAgainstLedger(run.counters, doubled)).not.toEqual([]);

    // 3. An acknowledged spend missing from the ledger.
    const granted = run.observations.find((o) => o.granted && o.kind === "debit") as Observation;
    const lost = judge({
      ...run,
      changes,
      entries: run.entries.filter((e) => e.idempotencyKey !== granted.key),
    });
    expect(lost.lost.map((v) => v.key)).toEqual([granted.key]);

    // 4. A reservation committed twice.
    const twice = judge({
      ...run,
      changes,
      entries: [...run.entries, { ...commit, id: lastId + 1, idempotencyKey: "again" }],
    });
    expect(twice.doubleCharges.map((v) => v.entry)).toContain(lastId + 1);

    // 5. A call its client saw refused, charged anyway.
    const refused: Observation = { key: "seen-refused", kind: "debit", granted: false };
    const phantom = judge({
      ...run,
      observations: [...run.observations, refused],
      changes,
      entries: [
        ...run.entries,
        {
          ...debit,
          id: lastId + 1,
          credits: 1,
          idempotencyKey: refused.key,
          periodStart: last.periodStart,
        },
      ],
    });
    expect(phantom.phantom.map((v) => v.key)).toEqual([refused.key]);
  });

  it("accepts a change only when one split point fits every grant in its bracket", () => {
    const p = "2026-07-15T00:00:00.000Z";
    const row = (
      id: number,
      kind: LedgerEntry["kind"],
      feature: LedgerEntry["feature"],
      credits: number,
    ) =>
      ({
        id,
        at: p,
        kind,
        feature,
        credits,
        reservationId: null,
        idempotencyKey: `k${id}`,
        role: "service",
        periodStart: p,
        agentId: null,
        sources: [{ source: "pool", credits }],
      }) satisfies LedgerEntry;
    // The admin moves the cap from ai_rewriter (10) to copilot (10) between markers 1 and 5.
    const initial = { balance: 100, caps: { ai_rewriter: 10 } };
    const change: Change = {
      label: "move the cap",
      before: 1,
      after: 5,
      limits: { balance: 100, caps: { copilot: 10 } },
    };
    const history = (a: LedgerEntry, b: LedgerEntry) => [
      row(1, "question", null, 1),
      a,
      b,
      row(5, "question", null, 1),
    ];
    const copilot20 = (id: number) => row(id, "debit", "copilot", 20); // fits the old caps only
    const rewriter20 = (id: number) => row(id, "debit", "ai_rewriter", 20); // the new only
    // Old then new: the change took effect between them.
    const ok = checkHistory({
      initial,
      changes: [change],
      entries: history(copilot20(2), rewriter20(3)),
      observations: [],
    });
    expect(ok.overspend).toEqual([]);
    // New then old: no single instant explains both grants.
    const broken = checkHistory({
      initial,
      changes: [change],
      entries: history(rewriter20(2), copilot20(3)),
      observations: [],
    });
    expect(broken.overspend).toHaveLength(1);
    // Outside any bracket the limits in force are exact.
    const outside = checkHistory({
      initial,
      changes: [],
      entries: [rewriter20(1)],
      observations: [],
    });
    expect(outside.overspend).toHaveLength(1);
  });
});
