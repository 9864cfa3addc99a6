import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/policy/time";
import { Store } from "../../src/storage";
import { creditsPerDay, rollUpStep, sliceOf } from "../../src/workspace/archive/rollups";
import { ROLLUP_LAG_MS } from "../../src/workspace/archive/rollupWork";
import { WorkspaceObject } from "../../src/workspace/object";
import { archivedFiles, subscribedForHistory } from "../support/archive";
import { consumeAs, createAgents, postTopup, reserveAs } from "../support/budgets";
import { commit, consume, release, setup } from "../support/credits";
import {
  advanceTimeTo,
  api,
  call,
  freezeTime,
  freshWorkspace,
  setClock,
  subscribe,
} from "../support/helpers";
import { service } from "../support/roles";
import {
  inStore,
  ledgerPerDay,
  pointerOf,
  type RawEntry,
  rawEntries,
  rolledByKind,
  sumsByKind,
} from "../support/rollups";

/**
 * The daily roll-ups (issue #19 §2): kept current off the hot path, and `creditsPerDay`, the one
 * read of credits per day, equal to the ledger's sums whatever the roll-ups have reached.
 */

const Z = (at: string) => `${at}T00:00:00.000Z`;
const FROM = Date.parse(Z("2026-07-01"));
const TO = Date.parse(Z("2026-09-01"));

/**
 * Spends of every kind, with and without agents, a top-up paying part of them, across days and
 * an anchor change at 09:30 (a period whose days start at 09:30, split across UTC days).
 */
async function spendEveryKind(ws: string) {
  await setup(
    ws,
    { plan: "pro", seats: 1, periodAnchor: Z("2026-07-15"), overrides: { aiCreditsPerSeat: 400 } },
    Z("2026-07-20"),
  );
  await createAgents(ws, "bot-a", "bot-b");
  expect(
    (await postTopup(ws, { id: "t-1", credits: 500, expiresAt: Z("2026-12-31") })).status,
  ).toBe(200);
  const at = ["2026-07-20T08:00:00.000Z", "2026-07-21T23:59:00.000Z", "2026-07-22T09:29:00.000Z"];
  for (const [i, now] of at.entries()) {
    await setClock(ws, now);
    expect((await consumeAs(ws, undefined, "copilot", 3 + i)).json.allowed).toBe(true);
    expect((await consumeAs(ws, "bot-a", "ai_rewriter", 5)).json.allowed).toBe(true);
    const held = (await reserveAs(ws, "bot-b", "ai_agent", 20)).json;
    expect((await commit(ws, held.reservationId, 27 + i)).status).toBe(200);
    const freed = (await reserveAs(ws, "bot-a", "ai_summarize", 9)).json;
    expect((await release(ws, freed.reservationId)).status).toBe(200);
    await reserveAs(ws, undefined, "copilot", 4); // lapses: an expiry entry later
  }
  // An anchor change at 09:30: the new period's days run 09:30 to 09:30.
  await setClock(ws, "2026-07-22T09:30:00.000Z");
  expect(
    (
      await subscribe(ws, {
        plan: "pro",
        seats: 1,
        periodAnchor: "2026-08-05T09:30:00.000Z",
        overrides: { aiCreditsPerSeat: 400 },
      })
    ).status,
  ).toBe(200);
  for (const now of [
    "2026-07-22T12:00:00.000Z",
    "2026-07-23T03:00:00.000Z",
    "2026-07-23T10:00:00.000Z",
  ]) {
    await setClock(ws, now);
    expect((await consumeAs(ws, "bot-b", "copilot", 40)).json.allowed).toBe(true);
    expect((await consumeAs(ws, undefined, "ai_rewriter", 2)).json.allowed).toBe(true);
  }
  // Past the pool: the top-up pays the rest.
  expect((await consumeAs(ws, "bot-a", "ai_agent", 350)).json.allowed).toBe(true);
}

describe("creditsPerDay", () => {
  it("equals the ledger's sums per UTC day, period, feature and agent, at any roll-up pointer", async () => {
    const ws = freshWorkspace("perday");
    await spendEveryKind(ws);
    const checked = await inStore(ws, (store, state) => {
      const entries = rawEntries(store);
      const last = entries.at(-1)?.id ?? 0;
      expect(last).toBeGreaterThan(30);
      const pointers: number[] = [];
      // From nothing rolled up to everything, in uneven steps: the answer never changes.
      for (const through of [0, 1, 7, 19, Math.floor(last / 2), last - 1, last]) {
        state.storage.transactionSync(() => rollUpStep(store, through));
        pointers.push(store.getMeta<number>("credits.rolledThrough") ?? 0);
        expect(creditsPerDay(store, FROM, TO)).toEqual(ledgerPerDay(entries, FROM, TO));
        // One day alone, and a range cut in the middle of the history.
        const day = Date.parse(Z("2026-07-23"));
        expect(creditsPerDay(store, day, day + DAY_MS)).toEqual(
          ledgerPerDay(entries, day, day + DAY_MS),
        );
        expect(creditsPerDay(store, FROM, day)).toEqual(ledgerPerDay(entries, FROM, day));
      }
      // Every kind of entry is in the roll-ups once, to the credit and the count.
      expect(rolledByKind(store)).toEqual(sumsByKind(entries));
      return { pointers, last, perDay: creditsPerDay(store, FROM, TO) };
    });
    expect(checked.pointers.at(-1)).toBe(checked.last);
    // The agents' spends are apart from the unnamed ones, and the anchor change split the 22nd.
    expect(checked.perDay.some((d) => d.agent === "bot-b" && d.feature === "ai_agent")).toBe(true);
    expect(
      new Set(
        checked.perDay
          .filter((d) => d.day === Date.parse(Z("2026-07-22")))
          .map((d) => d.periodStart),
      ).size,
    ).toBe(2);
  });
});

describe("slices", () => {
  it.each([
    [
      "a midnight period: the UTC day",
      "2026-07-20T13:00:00Z",
      "2026-07-15T00:00:00Z",
      "2026-07-20T00:00:00Z",
    ],
    [
      "before the period's boundary",
      "2026-07-20T09:29:59Z",
      "2026-07-15T09:30:00Z",
      "2026-07-20T00:00:00Z",
    ],
    ["at the boundary", "2026-07-20T09:30:00Z", "2026-07-15T09:30:00Z", "2026-07-20T09:30:00Z"],
    ["after it", "2026-07-20T23:59:59Z", "2026-07-15T09:30:00Z", "2026-07-20T09:30:00Z"],
  ])("%s", (_, at, periodStart, slice) => {
    expect(sliceOf(Date.parse(at), Date.parse(periodStart))).toBe(Date.parse(slice));
  });
});

describe("roll-ups kept current", () => {
  it("due work after an eviction rolls up what was spent before it, every kind, once", async () => {
    const ws = freshWorkspace("rollup");
    await spendEveryKind(ws);
    // Spent after the last due work: not rolled up yet.
    expect((await consume(ws, "copilot", 1)).json.allowed).toBe(true);
    const before = await inStore(ws, (store) => ({
      pointer: pointerOf(store),
      last: rawEntries(store).at(-1)?.id ?? 0,
    }));
    expect(before.pointer).toBeLessThan(before.last);
    const stub = env.WORKSPACE.getByName(ws);
    await evictDurableObject(stub);
    await stub.runDueWork();
    await inStore(ws, (store) => {
      const entries = rawEntries(store);
      expect(pointerOf(store)).toBe(before.last);
      expect(rolledByKind(store)).toEqual(sumsByKind(entries));
    });
    // A second run adds nothing: each entry counts once.
    await stub.runDueWork();
    await inStore(ws, (store) =>
      expect(rolledByKind(store)).toEqual(sumsByKind(rawEntries(store))),
    );
  });

  it("the daily chart of a period begun at 09:30 splits its days at 09:30, from the roll-ups", async () => {
    const ws = freshWorkspace("rollup");
    await setup(
      ws,
      { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" },
      "2026-07-20T09:30:00.000Z",
    );
    await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: "2026-08-01T09:30:00Z" });
    for (const [at, n] of [
      ["2026-07-20T10:00:00.000Z", 3],
      ["2026-07-21T03:00:00.000Z", 4],
      ["2026-07-21T10:00:00.000Z", 5],
    ] as const) {
      await setClock(ws, at);
      await consume(ws, "copilot", n);
    }
    await setClock(ws, "2026-07-21T12:00:00.000Z");
    // Everything is rolled up by the due work of the last clock move: the chart reads roll-ups.
    await inStore(ws, (store) => expect(pointerOf(store)).toBe(rawEntries(store).at(-1)?.id));
    const daily = (await call("GET", `${api(ws)}/credits/daily`, { role: "viewer" })).json;
    expect(daily.periodStart).toBe("2026-07-20T09:30:00.000Z");
    expect(
      daily.days.map((d: { startsAt: string; credits: number }) => [d.startsAt, d.credits]),
    ).toEqual([
      ["2026-07-20T09:30:00.000Z", 7],
      ["2026-07-21T09:30:00.000Z", 5],
    ]);
    expect(daily.used).toBe(12);
  });
});

describe("the alarm's own wake (automatic wakes)", () => {
  freezeTime();

  it("rings ROLLUP_LAG_MS after the first entry the roll-ups lack, and a consume runs no statement more", async () => {
    const ws = freshWorkspace("wake");
    const stub = env.WORKSPACE.getByName(ws);
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      // Wakes as in production (no FLEET: the fleet's own wake stays out of it).
      const auto = new WorkspaceObject(state, {
        ...env,
        FLEET: undefined,
        FLEET_REPORTS: "automatic",
      });
      const now = Date.now();
      const sub = await auto.putSubscription(
        ws,
        { plan: "pro", seats: 1, periodAnchor: new Date(now - DAY_MS).toISOString() },
        { role: "platform" },
      );
      expect(sub.ok).toBe(true);
      // Whatever the subscription armed, the roll-ups are current: due work ran nothing yet.
      await auto.runDueWork();
      const idle = await state.storage.getAlarm();
      expect(idle).not.toBeNull();
      expect(idle).toBeGreaterThan(now + ROLLUP_LAG_MS);
      // Warm: a first spend (counters loaded), then count the SQL of the next ones.
      await auto.consumeCredits({ feature: "copilot", credits: 1 }, service);
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      let statements = 0;
      sql.exec = ((query: string, ...params: unknown[]) => {
        statements++;
        return exec(query, ...params);
      }) as typeof sql.exec;
      try {
        for (let i = 0; i < 5; i++)
          await auto.consumeCredits({ feature: "copilot", credits: 1 }, service);
      } finally {
        sql.exec = exec as typeof sql.exec;
      }
      // The consume's own statements (test clock, counter, entry): the wake added none.
      expect(statements / 5).toBeLessThanOrEqual(3);
      expect(await state.storage.getAlarm()).toBe(now + ROLLUP_LAG_MS);
      const before = new Store(sql);
      expect(pointerOf(before)).toBe(0);
      advanceTimeTo(now + ROLLUP_LAG_MS);
      await auto.alarm();
      const store = new Store(sql);
      expect(pointerOf(store)).toBe(rawEntries(store).at(-1)?.id);
      expect(rolledByKind(store)).toEqual(sumsByKind(rawEntries(store)));
      // Caught up: the alarm goes back to the workspace's own deadline.
      expect(await state.storage.getAlarm()).toBe(idle);
    });
  });
});

describe("roll-ups and the archive", () => {
  freezeTime();
  const T0 = Date.parse("2026-01-10T09:00:00Z");

  async function subscribed(ws: string) {
    const stub = await subscribedForHistory(ws, T0);
    await createAgents(ws, "bot");
    return stub;
  }

  /** Every entry ever written: the archive's files and the object's raw rows. */
  async function everyEntry(ws: string): Promise<Omit<RawEntry, "id">[]> {
    const archived = (await archivedFiles(ws, "ledger")).flatMap((f) =>
      (
        f.rows as {
          at: string;
          kind: string;
          feature: string | null;
          credits: number;
          periodStart: string;
          agentId: string | null;
        }[]
      ).map((r) => ({
        at: Date.parse(r.at),
        kind: r.kind,
        feature: r.feature,
        credits: r.credits,
        period_start: Date.parse(r.periodStart),
        agent_id: r.agentId,
      })),
    );
    return [...archived, ...(await inStore(ws, rawEntries))];
  }

  it("130 days of spending, archived and pruned: the roll-ups hold every entry once", async () => {
    const ws = freshWorkspace("rollarch");
    const stub = await subscribed(ws);
    for (let d = 0; d < 130; d++) {
      expect(await stub.setTestClock(T0 + d * DAY_MS)).toMatchObject({ ok: true });
      const agent = d % 2 === 0 ? "bot" : undefined;
      const r = await stub.consumeCredits(
        { feature: "copilot", credits: 1 + (d % 4), ...(agent ? { agentId: agent } : {}) },
        service,
      );
      expect(r).toMatchObject({ ok: true, value: { allowed: true } });
      if (d % 9 === 0) {
        const held = await stub.reserveCredits(
          { feature: "ai_agent", credits: 3, ttlSeconds: 600 },
          service,
        );
        if (!held.ok || held.value.reservationId === null) throw new Error("reserve refused");
        await stub.commitReservation(held.value.reservationId, 5, service);
      }
    }
    await stub.runDueWork();
    const entries = await everyEntry(ws);
    expect((await archivedFiles(ws, "ledger")).length).toBeGreaterThan(40);
    await inStore(ws, (store) => {
      expect(rolledByKind(store)).toEqual(sumsByKind(entries));
      const from = T0 - 30 * DAY_MS;
      const to = T0 + 200 * DAY_MS;
      expect(creditsPerDay(store, from, to)).toEqual(
        ledgerPerDay(
          entries.map((e, id) => ({ ...e, id })),
          from,
          to,
        ),
      );
    });
  }, 120_000);

  it("an archive that finds entries not rolled up rolls them up before deleting them", async () => {
    const ws = freshWorkspace("rollarch");
    const stub = await subscribed(ws);
    for (let d = 0; d < 5; d++) {
      await stub.setTestClock(T0 + d * DAY_MS);
      await stub.consumeCredits({ feature: "copilot", credits: 2, agentId: "bot" }, service);
    }
    // The last spends after the last due work: the pointer is behind the ledger.
    await stub.consumeCredits({ feature: "ai_rewriter", credits: 7 }, service);
    const lagging = await inStore(ws, (store) => [pointerOf(store), rawEntries(store).at(-1)?.id]);
    expect(lagging[0]).toBeLessThan(lagging[1] ?? 0);
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      // An instance whose alarm never rolls up: only the archive can.
      const instance = new WorkspaceObject(state, env);
      const alarms = (instance as unknown as { alarms: { host: { rollups: unknown } } }).alarms;
      alarms.host.rollups = {
        dueAt: () => null,
        run: () => ({ more: false, events: false }),
        verify: () => {},
      };
      await instance.setTestClock(T0 + 80 * DAY_MS);
      const store = new Store(state.storage.sql);
      expect(rawEntries(store)).toEqual([]);
      expect(pointerOf(store)).toBe(lagging[1]);
    });
    const entries = await everyEntry(ws);
    expect(entries.length).toBe(lagging[1]);
    await inStore(ws, (store) => expect(rolledByKind(store)).toEqual(sumsByKind(entries)));
    // The real alarm afterwards adds nothing.
    await stub.runDueWork();
    await inStore(ws, (store) => expect(rolledByKind(store)).toEqual(sumsByKind(entries)));
  });
});
