import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AiFeature } from "../../src/policy/catalogue";
import { DAY_MS, HOUR_MS } from "../../src/policy/time";
import { WorkspaceObject } from "../../src/workspace/object";
import { expectCountersMatchLedger, inObject, setup } from "../support/credits";
import { storedEvents } from "../support/events";
import { freezeTime, freshWorkspace, setClock, settledAlarm } from "../support/helpers";
import { admin, platform, service } from "../support/roles";

/**
 * What the object keeps in memory (subscription, credit counters, next deadline, alarm) must
 * answer exactly what storage answers, at any clock, after any call, including calls that fail
 * half way.
 */

const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);

/** Moves the frozen clock in storage without running due work (a missed alarm, a lazy read). */
const tamperClock = (ws: string, at: number) =>
  inObject(ws, (sql) =>
    sql.exec("UPDATE meta SET value = ? WHERE key = 'testClock'", JSON.stringify(at)),
  );

/** The check's figures (from memory when settled) beside the same figures read from storage. */
async function compare(ws: string, feature: AiFeature) {
  const stub = stubOf(ws);
  const check = await stub.checkCredits({ feature, credits: 1 });
  const view = await stub.credits();
  if (!check.ok || !view.ok) throw new Error("no subscription");
  const f = view.value.features.find((x) => x.feature === feature);
  return {
    memory: {
      balance: check.value.monthlyBalance,
      used: check.value.used,
      held: check.value.held,
      featureUsed: check.value.featureUsed,
      featureHeld: check.value.featureHeld,
      featureLimit: check.value.featureLimit,
      periodStart: check.value.periodStart,
    },
    storage: {
      balance: view.value.monthlyBalance,
      used: view.value.used,
      held: view.value.held,
      featureUsed: f?.creditsUsed,
      featureHeld: f?.creditsHeld,
      featureLimit: f?.creditLimit,
      periodStart: view.value.periodStart,
    },
  };
}

describe("the object's memory", () => {
  freezeTime();
  it("keeps nothing of a transaction that threw half way", async () => {
    const ws = freshWorkspace("mem");
    await setup(ws);
    const stub = stubOf(ws);
    expect(await stub.consumeCredits({ feature: "copilot", credits: 10 }, service)).toMatchObject({
      ok: true,
      value: { used: 10 },
    });
    await runInDurableObject(stub, async (instance: WorkspaceObject, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      // The counter is written, then the ledger insert fails: the transaction rolls back.
      sql.exec = ((query: string, ...params: unknown[]) => {
        if (query.startsWith("INSERT INTO credit_ledger")) throw new Error("disk full");
        return exec(query, ...params);
      }) as typeof sql.exec;
      try {
        await expect(
          instance.consumeCredits({ feature: "copilot", credits: 5 }, service),
        ).rejects.toThrow("disk full");
      } finally {
        sql.exec = exec as typeof sql.exec;
      }
      expect(instance.checkCredits({ feature: "copilot", credits: 1 })).toMatchObject({
        ok: true,
        value: { used: 10, featureUsed: 10 },
      });
    });
    expect(await stub.consumeCredits({ feature: "copilot", credits: 5 }, service)).toMatchObject({
      value: { used: 15 },
    });
    await expectCountersMatchLedger(ws);
  });

  it("decides a renewal passed while idle exactly, before any due work ran", async () => {
    const ws = freshWorkspace("mem");
    await setup(ws); // anchored on the 15th, clock on 2026-07-20
    const stub = stubOf(ws);
    await stub.consumeCredits({ feature: "copilot", credits: 100 }, service);
    expect(await stub.checkCredits({ feature: "copilot", credits: 1 })).toMatchObject({
      value: { used: 100 },
    });
    await tamperClock(ws, Date.parse("2026-08-15T00:00:00Z"));
    expect(await stub.checkCredits({ feature: "copilot", credits: 1 })).toMatchObject({
      value: { used: 0, periodStart: "2026-08-15T00:00:00.000Z" },
    });
    // The spend settles first: the renewal is announced, then the debit lands in the new period.
    expect(await stub.consumeCredits({ feature: "copilot", credits: 7 }, service)).toMatchObject({
      value: { allowed: true, used: 7, periodStart: "2026-08-15T00:00:00.000Z" },
    });
    expect((await storedEvents(ws)).map((e) => e.type)).toEqual(["credits.reset"]);
  });

  it("sets no alarm and asks for none while spends move no deadline", async () => {
    const ws = freshWorkspace("mem");
    const stub = stubOf(ws);
    await stub.putSubscription(
      ws,
      { plan: "pro", seats: 10, periodAnchor: new Date(Date.now() - DAY_MS).toISOString() },
      platform,
    );
    await stub.consumeCredits({ feature: "copilot", credits: 1 }, service);
    const armed = await settledAlarm(ws);
    expect(armed).not.toBeNull();
    const calls = await runInDurableObject(stub, async (instance: WorkspaceObject, state) => {
      const storage = state.storage;
      const counts = { getAlarm: 0, setAlarm: 0, deleteAlarm: 0 };
      const original = {
        getAlarm: storage.getAlarm.bind(storage),
        setAlarm: storage.setAlarm.bind(storage),
        deleteAlarm: storage.deleteAlarm.bind(storage),
      };
      storage.getAlarm = ((...a: Parameters<typeof storage.getAlarm>) => {
        counts.getAlarm++;
        return original.getAlarm(...a);
      }) as typeof storage.getAlarm;
      storage.setAlarm = ((...a: Parameters<typeof storage.setAlarm>) => {
        counts.setAlarm++;
        return original.setAlarm(...a);
      }) as typeof storage.setAlarm;
      storage.deleteAlarm = ((...a: Parameters<typeof storage.deleteAlarm>) => {
        counts.deleteAlarm++;
        return original.deleteAlarm(...a);
      }) as typeof storage.deleteAlarm;
      try {
        for (let i = 0; i < 50; i++) {
          instance.checkCredits({ feature: "copilot", credits: 1 });
          await instance.consumeCredits({ feature: "copilot", credits: 1 }, service);
        }
      } finally {
        Object.assign(storage, original);
      }
      return counts;
    });
    expect(calls).toEqual({ getAlarm: 0, setAlarm: 0, deleteAlarm: 0 });
    expect(await settledAlarm(ws)).toBe(armed);
  });

  it("answers from memory what storage answers, through every kind of call and clock move", async () => {
    const ws = freshWorkspace("mem");
    let now = Date.parse("2026-07-20T00:00:00Z");
    await setup(ws, { plan: "pro", seats: 2, periodAnchor: "2026-07-15T00:00:00Z" });
    const stub = stubOf(ws);
    // A small deterministic generator: the same sequence on every run.
    let seed = 12_345;
    /** mulberry32: an integer in [0, n). */
    const rand = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n);
    };
    const features: AiFeature[] = ["copilot", "ai_rewriter", "ai_summarize"];
    const open: string[] = [];
    for (let step = 0; step < 160; step++) {
      const feature = features[rand(features.length)] ?? "copilot";
      const kind = rand(10);
      if (kind <= 2) {
        await stub.consumeCredits({ feature, credits: 1 + rand(400) }, service);
      } else if (kind === 3) {
        const r = await stub.reserveCredits(
          { feature, credits: 1 + rand(300), ttlSeconds: 60 + rand(7_200) },
          service,
        );
        if (r.ok && r.value.reservationId !== null) open.push(r.value.reservationId);
      } else if (kind === 4 && open.length > 0) {
        const id = open.splice(rand(open.length), 1)[0] ?? "";
        if (rand(2) === 0) await stub.commitReservation(id, rand(500), service);
        else await stub.releaseReservation(id, service);
      } else if (kind === 5) {
        const limit = rand(3) === 0 ? null : rand(3_000);
        await stub.setFeatureLimit(feature, limit, admin);
      } else if (kind === 6) {
        await stub.putCreditPackage(
          {
            id: `pkg-${rand(4)}`,
            credits: 100 + rand(2_000),
            expiresAt: new Date(now + rand(20) * DAY_MS).toISOString(),
          },
          platform,
        );
      } else if (kind === 7) {
        // Forward in storage only: the next call finds a deadline passed and nothing applied.
        now += rand(4) * DAY_MS + rand(HOUR_MS);
        await tamperClock(ws, now);
      } else if (kind === 8) {
        now += rand(3) * DAY_MS + rand(HOUR_MS);
        expect((await setClock(ws, new Date(now).toISOString())).status).toBe(200);
      } else {
        await stub.putSubscription(
          ws,
          { plan: "pro", seats: 1 + rand(4), periodAnchor: "2026-07-15T00:00:00Z" },
          platform,
        );
      }
      const both = await compare(ws, feature);
      expect(both.memory, `step ${step}`).toEqual(both.storage);
    }
    await expectCountersMatchLedger(ws);
  }, 60_000);
});

describe("thousands of holds that lapse at one instant", () => {
  /** Settle expires holds in batches; every answer between batches must be the same figure. */
  const HOLDS = 3_000;
  const HOLD_CREDITS = 2;
  // Pro × 3: 6,750 credits; the holds take 6,000 of them for 60 seconds.
  const SPEND = HOLDS * HOLD_CREDITS;

  it.each([
    ["a missed alarm (the clock moves in storage only)", "tamper"],
    ["the test clock's own due work", "clock"],
  ] as const)(
    "check, consume and every view agree after %s",
    async (_, move) => {
      const ws = freshWorkspace("lapse");
      await setup(ws);
      const stub = stubOf(ws);
      await runInDurableObject(stub, async (instance: WorkspaceObject) => {
        for (let n = 0; n < HOLDS; n++) {
          const r = await instance.reserveCredits(
            { feature: "copilot", credits: HOLD_CREDITS, ttlSeconds: 60 },
            service,
          );
          if (!r.ok || !r.value.allowed) throw new Error(`hold ${n} refused`);
        }
      });
      const lapsed = Date.parse("2026-07-20T00:02:00Z");
      if (move === "tamper") await tamperClock(ws, lapsed);
      else expect((await setClock(ws, new Date(lapsed).toISOString())).status).toBe(200);

      const view = await stub.credits();
      expect(view).toMatchObject({ ok: true, value: { held: 0, remaining: 6_750 } });
      const checked = await stub.checkCredits({ feature: "copilot", credits: SPEND });
      expect(checked).toMatchObject({ ok: true, value: { allowed: true, held: 0 } });
      // The consume decides from the same figures, though settle has not expired every hold yet.
      const consumed = await stub.consumeCredits({ feature: "copilot", credits: SPEND }, service);
      expect(consumed).toMatchObject({
        ok: true,
        value: { allowed: true, used: SPEND, held: 0, remaining: 750 },
      });
      // Calls after it (each settling one more batch) keep answering the same figures as storage.
      for (let n = 0; n < 20; n++) {
        const spent = await stub.consumeCredits({ feature: "ai_rewriter", credits: 1 }, service);
        expect(spent, `spend ${n}`).toMatchObject({ ok: true, value: { allowed: true, held: 0 } });
        const both = await compare(ws, "copilot");
        expect(both.memory, `after spend ${n}`).toEqual(both.storage);
      }
      // Once every batch ran, storage's running sum holds nothing either.
      await env.WORKSPACE.getByName(ws).runDueWork();
      expect(
        await inObject(ws, (sql) => sql.exec("SELECT SUM(held) AS held FROM credit_holds").one()),
      ).toEqual({ held: 0 });
      await expectCountersMatchLedger(ws);
    },
    120_000,
  );
});

describe("a freshly started object", () => {
  /** SQL statements (and whether any wrote) per check of a new instance over the same storage. */
  const freshChecks = (ws: string, n: number) =>
    runInDurableObject(stubOf(ws), (_: WorkspaceObject, state) => {
      const fresh = new WorkspaceObject(state, env);
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      const perCall: { statements: number; written: number }[] = [];
      let current = { statements: 0, written: 0 };
      sql.exec = ((query: string, ...params: unknown[]) => {
        const cursor = exec(query, ...params);
        current.statements++;
        if (!/^\s*SELECT/i.test(query)) current.written++;
        return cursor;
      }) as typeof sql.exec;
      const answers = [];
      try {
        for (let i = 0; i < n; i++) {
          current = { statements: 0, written: 0 };
          const answer = fresh.checkCredits({ feature: "copilot", credits: 1 });
          // A restarted object resumes the catalogue schedule from its storage: no hop.
          if (answer instanceof Promise) throw new Error("a check waited for the catalogue");
          answers.push(answer);
          perCall.push(current);
        }
      } finally {
        sql.exec = exec as typeof sql.exec;
      }
      return { perCall, answers };
    });

  it("proves by a dry run that nothing is due, then checks from memory", async () => {
    const ws = freshWorkspace("fresh");
    await setup(ws);
    await stubOf(ws).consumeCredits({ feature: "copilot", credits: 10 }, service);
    const { perCall, answers } = await freshChecks(ws, 5);
    expect(perCall[0]?.statements).toBeGreaterThan(5);
    // After the first, only the test clock is read.
    expect(perCall.slice(1).map((c) => c.statements)).toEqual([1, 1, 1, 1]);
    expect(answers.every((a) => a.ok && a.value.used === 10)).toBe(true);
  });

  it("leaves due work to a mutation or the alarm, and reads storage meanwhile", async () => {
    const ws = freshWorkspace("fresh");
    await setup(ws);
    const stub = stubOf(ws);
    await stub.consumeCredits({ feature: "copilot", credits: 10 }, service);
    await stub.reserveCredits({ feature: "copilot", credits: 30, ttlSeconds: 5 }, service);
    await tamperClock(ws, Date.parse("2026-07-20T00:00:10Z"));
    const before = await inObject(ws, (sql) =>
      sql.exec("SELECT state FROM credit_reservations").toArray(),
    );
    const { perCall, answers } = await freshChecks(ws, 4);
    // The dry run found the lapsed hold and rolled back; every check evaluates storage.
    expect(perCall.every((c) => c.statements > 1)).toBe(true);
    expect(answers.every((a) => a.ok && a.value.held === 0 && a.value.used === 10)).toBe(true);
    expect(
      await inObject(ws, (sql) => sql.exec("SELECT state FROM credit_reservations").toArray()),
    ).toEqual(before);
    expect(before).toEqual([{ state: "open" }]);
  });
});

describe("housekeeping", () => {
  freezeTime();
  it("is left to the alarm, which comes once a thousand calls wrote history", async () => {
    const ws = freshWorkspace("prune");
    const stub = stubOf(ws);
    await stub.putSubscription(
      ws,
      { plan: "pro", seats: 10, periodAnchor: new Date(Date.now() - DAY_MS).toISOString() },
      platform,
    );
    for (let i = 0; i < 3; i++) {
      await stub.consumeCredits(
        { feature: "copilot", credits: 1 },
        { ...service, idempotencyKey: `old-${i}`, fingerprint: "f" },
      );
    }
    const alarmBefore = await settledAlarm(ws);
    // Two days old: past the 24 hours a key is kept.
    await inObject(ws, (sql) =>
      sql.exec("UPDATE idempotency SET created_at = ?", Date.now() - 2 * DAY_MS),
    );
    const statements = await runInDurableObject(stub, async (instance: WorkspaceObject, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      const seen: string[] = [];
      sql.exec = ((query: string, ...params: unknown[]) => {
        seen.push(query);
        return exec(query, ...params);
      }) as typeof sql.exec;
      try {
        for (let i = 0; i < 1_000; i++) {
          await instance.consumeCredits({ feature: "copilot", credits: 1 }, service);
        }
      } finally {
        sql.exec = exec as typeof sql.exec;
      }
      return seen;
    });
    expect(statements.filter((q) => /^\s*DELETE/i.test(q))).toEqual([]);
    expect(
      await inObject(ws, (sql) => sql.exec("SELECT COUNT(*) AS n FROM idempotency").one().n),
    ).toBe(3);
    // The thousandth call scheduled housekeeping an hour on, before any other deadline.
    const alarm = await settledAlarm(ws);
    expect(alarm).not.toBeNull();
    expect(alarm).toBeLessThan(alarmBefore ?? Number.POSITIVE_INFINITY);
    expect(alarm).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(
      await inObject(ws, (sql) => sql.exec("SELECT COUNT(*) AS n FROM idempotency").one().n),
    ).toBe(0);
    // Done: the alarm goes back to the workspace's own next deadline.
    expect(await settledAlarm(ws)).toBe(alarmBefore);
  }, 60_000);
});
