import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/policy/time";
import type { WorkspaceObject } from "../../src/workspace/object";
import {
  check,
  commit,
  consume,
  countersAndLedger,
  credits,
  expectCountersMatchLedger,
  inObject,
  postPackage,
  release,
  reserve,
  rows,
  setup,
} from "../support/credits";
import { eventsIn, storedEvents } from "../support/events";
import {
  advanceTimeTo,
  freezeTime,
  freshWorkspace,
  setClock,
  settledAlarm,
  subscribe,
} from "../support/helpers";
import { service } from "../support/roles";

const TABLES = [
  "credit_ledger",
  "credit_usage",
  "credit_holds",
  "credit_reservations",
  "credit_feature_limits",
  "credit_packages",
  "credit_thresholds",
  "copilot_questions",
  "events",
  "meta",
  "idempotency",
  "credit_refusals_daily",
];

const snapshot = (sql: SqlStorage) => ({
  size: sql.databaseSize,
  rows: Object.fromEntries(
    TABLES.map((t) => [t, rows(sql, `SELECT * FROM ${t}`).map((r) => JSON.stringify(r))]),
  ),
});

describe("the check path", () => {
  it("runs only SELECT statements and leaves the database byte for byte unchanged", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    await consume(ws, "copilot", 100);
    const r = await reserve(ws, "ai_agent", 30, 5);
    // Let the hold lapse without settling it: the check must see it as free, and not apply it.
    await inObject(ws, (sql) =>
      sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'testClock'",
        JSON.stringify(Date.parse("2026-07-20T00:00:10Z")),
      ),
    );
    await runInDurableObject(
      env.WORKSPACE.getByName(ws),
      async (instance: WorkspaceObject, state) => {
        const sql = state.storage.sql;
        const before = snapshot(sql);
        const statements: string[] = [];
        const exec = sql.exec.bind(sql);
        sql.exec = ((query: string, ...params: unknown[]) => {
          statements.push(query);
          return exec(query, ...params);
        }) as typeof sql.exec;
        try {
          for (let i = 0; i < 200; i++) {
            const d = instance.checkCredits({ feature: "ai_agent", credits: 6_650 });
            expect(d).toMatchObject({ ok: true, value: { allowed: true, held: 0, used: 100 } });
          }
          expect(instance.checkCredits({ feature: "ai_agent", credits: 6_651 })).toMatchObject({
            value: { allowed: false, reason: "insufficient_credits" },
          });
        } finally {
          sql.exec = exec as typeof sql.exec;
        }
        expect(statements.length).toBeGreaterThan(200);
        expect(statements.filter((s) => !/^\s*SELECT\b/i.test(s))).toEqual([]);
        expect(snapshot(sql)).toEqual(before);
        expect(await state.storage.getAlarm()).toBeNull();
      },
    );
    // The lapsed hold is still open in storage: only a mutation or due work applies it.
    const stored = await inObject(ws, (sql) =>
      rows(sql, "SELECT state FROM credit_reservations WHERE id = ?", r.json.reservationId),
    );
    expect(stored).toEqual([{ state: "open" }]);
  });

  it("changes nothing through the Worker either, however many checks arrive", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    await consume(ws, "copilot", 10);
    const before = await inObject(ws, snapshot);
    const replies = await Promise.all(
      Array.from({ length: 150 }, (_, i) => check(ws, "copilot", 1 + i)),
    );
    expect(replies.every((r) => r.json.allowed && r.json.used === 10)).toBe(true);
    expect(await inObject(ws, snapshot)).toEqual(before);
  });
});

describe("consume", () => {
  it("is one transaction: the check, the debit, the ledger row and the events together", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    await runInDurableObject(
      env.WORKSPACE.getByName(ws),
      async (instance: WorkspaceObject, state) => {
        let transactions = 0;
        const original = state.storage.transactionSync.bind(state.storage);
        state.storage.transactionSync = (<T>(fn: () => T): T => {
          transactions++;
          return original(fn);
        }) as typeof state.storage.transactionSync;
        try {
          const reply = await instance.consumeCredits(
            { feature: "copilot", credits: 700 },
            service,
          );
          expect(reply).toMatchObject({ ok: true, value: { allowed: true, used: 700 } });
        } finally {
          state.storage.transactionSync = original;
        }
        expect(transactions).toBe(1);
      },
    );
    const after = await inObject(ws, (sql) => ({
      ledger: rows(sql, "SELECT kind, credits FROM credit_ledger"),
      events: eventsIn(sql).map((e) => e.type),
    }));
    expect(after).toEqual({
      ledger: [{ kind: "debit", credits: 700 }],
      events: ["credits.threshold"],
    });
  });

  it("writes nothing but the idempotency record and its refusal count when refused", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const before = await inObject(ws, snapshot);
    expect((await consume(ws, "copilot", 751)).json.allowed).toBe(false);
    const after = await inObject(ws, snapshot);
    // The refusal is counted for the period's statement (issue #19), and nothing else moves.
    const { credit_refusals_daily: counted, ...rest } = after.rows;
    const { credit_refusals_daily: none, ...was } = before.rows;
    expect(rest).toEqual(was);
    expect(none).toEqual([]);
    expect(counted?.map((r) => JSON.parse(r))).toMatchObject([
      { reason: "insufficient_credits", feature: "copilot", refusals: 1, credits: 751 },
    ]);
  });
});

describe("due work on an idle workspace (real time, the alarm)", () => {
  freezeTime();
  it("arms the alarm at the earliest hold expiry and frees the hold when it rings", async () => {
    const ws = freshWorkspace();
    const stub = env.WORKSPACE.getByName(ws);
    const anchor = new Date(Date.now() - HOUR_MS).toISOString();
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: anchor });
    const r = await reserve(ws, "copilot", 700, 1);
    const expiresAt = Date.parse(r.json.expiresAt);
    const nextReset = Date.parse(r.json.nextResetAt);
    expect(await settledAlarm(ws)).toBe(expiresAt);
    advanceTimeTo(expiresAt + 20);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await inObject(ws, (sql) => ({
      state: rows(sql, "SELECT state FROM credit_reservations")[0]?.state,
      held: rows(sql, "SELECT held FROM credit_holds")[0]?.held,
    }));
    expect(after).toEqual({ state: "expired", held: 0 });
    expect(await settledAlarm(ws)).toBe(nextReset);
    await expectCountersMatchLedger(ws);
  });

  it("arms the alarm at the next period start and announces the renewal when it rings", async () => {
    const ws = freshWorkspace();
    const stub = env.WORKSPACE.getByName(ws);
    // The anchor is just ahead: the current period is the one that ends at the anchor.
    const anchor = Date.now() + 400;
    await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: new Date(anchor).toISOString(),
    });
    await consume(ws, "copilot", 5);
    expect(await settledAlarm(ws)).toBe(anchor);
    advanceTimeTo(anchor + 20);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const resets = (await storedEvents(ws)).filter((e) => e.type === "credits.reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({
      occurredAt: new Date(anchor).toISOString(),
      data: { previousUsed: 5, expired: 745 },
    });
    // Due work twice changes nothing more.
    await runInDurableObject(stub, (instance: WorkspaceObject) => instance.runDueWork());
    expect((await storedEvents(ws)).filter((e) => e.type === "credits.reset")).toHaveLength(1);
  });
});

describe("retention", () => {
  it("forgets closed reservations after 24 hours and old history after 400 days", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const a = (await reserve(ws, "copilot", 10)).json.reservationId;
    await commit(ws, a, 10);
    const b = (await reserve(ws, "copilot", 10, 3_600)).json.reservationId;
    await postPackage(ws, { id: "old", credits: 5, expiresAt: "2026-07-21T00:00:00Z" });
    await setClock(ws, "2026-07-20T23:59:59.999Z");
    expect((await commit(ws, a, 10)).json.error.code).toBe("reservation_already_committed");
    await setClock(ws, "2026-07-21T00:00:00.001Z");
    expect((await commit(ws, a, 10)).json.error.code).toBe("reservation_not_found");
    // An open reservation is never pruned (its hold lapsed long ago and was freed).
    expect((await release(ws, b)).json.error.code).toBe("reservation_expired");

    await setClock(ws, "2027-08-30T00:00:00.000Z");
    await consume(ws, "copilot", 1);
    const left = await inObject(ws, (sql) => ({
      ledger: rows(sql, "SELECT kind FROM credit_ledger ORDER BY id"),
      usage: rows(sql, "SELECT period_start FROM credit_usage"),
      packages: rows(sql, "SELECT id FROM credit_packages"),
      thresholds: rows(sql, "SELECT * FROM credit_thresholds"),
    }));
    expect(left).toEqual({
      ledger: [{ kind: "debit" }],
      usage: [{ period_start: Date.parse("2027-08-15T00:00:00Z") }],
      packages: [],
      thresholds: [],
    });
    await expectCountersMatchLedger(ws);
  });
});

describe("counters and ledger", () => {
  it("agree after every kind of movement, across periods", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    await consume(ws, "ai_rewriter", 10);
    const a = (await reserve(ws, "ai_agent", 30, 600)).json.reservationId;
    const b = (await reserve(ws, "copilot", 40, 600)).json.reservationId;
    await reserve(ws, "copilot", 50, 5); // will expire
    await commit(ws, a, 35);
    await release(ws, b);
    await setClock(ws, "2026-07-20T00:00:06Z");
    await check(ws, "copilot", 1);
    const mid = await expectCountersMatchLedger(ws);
    expect(mid.counters.used).toEqual([
      JSON.stringify({ p: Date.parse("2026-07-15T00:00:00Z"), f: "ai_agent", n: 35 }),
      JSON.stringify({ p: Date.parse("2026-07-15T00:00:00Z"), f: "ai_rewriter", n: 10 }),
    ]);
    await setClock(ws, "2026-08-16T00:00:00Z");
    await consume(ws, "ai_rewriter", 7);
    const later = await countersAndLedger(ws);
    expect(later.counters).toEqual(later.ledger);
    expect(later.counters.used).toHaveLength(3);
    expect((await credits(ws)).json).toMatchObject({ used: 7, held: 0 });
  });
});
