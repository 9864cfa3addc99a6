import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { migrate, Store } from "../../src/storage";
import type { CallMeta } from "../../src/workspace/context";
import { creditMigrations } from "../../src/workspace/credits/schema";
import { LEDGER_FLOOR_KEY, storedLedgerSeq } from "../../src/workspace/memory";
import { WorkspaceObject } from "../../src/workspace/object";
import { setup } from "../support/credits";
import { freezeTime, freshWorkspace } from "../support/helpers";

/**
 * The ledger's sequence (issue #19): kept in the object's memory instead of SQLite's
 * AUTOINCREMENT row, strictly increasing and never reused, and a migration that keeps every
 * object's existing entries and ids.
 */

const service: CallMeta = { role: "service" };
const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);
const spend = { feature: "copilot" as const, credits: 1 };

const ids = (store: Store) =>
  store.all<{ id: number }>("SELECT id FROM credit_ledger ORDER BY id").map((r) => r.id);

describe("the ledger's sequence", () => {
  freezeTime();

  it("the migration keeps every entry and its id, and the last id AUTOINCREMENT gave", async () => {
    const ws = freshWorkspace("seq");
    await setup(ws);
    await runInDurableObject(stubOf(ws), async (_: WorkspaceObject, state) => {
      const store = new Store(state.storage.sql);
      // The table as credits_v1 made it, with five entries; the first and the two newest gone
      // (the newest by a manual repair: AUTOINCREMENT still remembers 5).
      store.run("DROP TABLE credit_ledger");
      store.run(
        `CREATE TABLE credit_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,
          kind TEXT NOT NULL, feature TEXT, credits INTEGER NOT NULL, reservation_id TEXT,
          idempotency_key TEXT, role TEXT, period_start INTEGER NOT NULL)`,
      );
      for (let i = 1; i <= 5; i++) {
        store.run(
          `INSERT INTO credit_ledger (at, kind, feature, credits, idempotency_key, role, period_start)
           VALUES (?, 'debit', 'copilot', ?, ?, 'service', 0)`,
          1000 * i,
          i,
          `key-${i}`,
        );
      }
      store.run("DELETE FROM credit_ledger WHERE id IN (1, 4, 5)");
      store.run("DELETE FROM meta WHERE key = ?", LEDGER_FLOOR_KEY);
      store.run("DELETE FROM _migrations WHERE name = 'credits_v3_ledger_sequence'");
      const before = store.all("SELECT * FROM credit_ledger ORDER BY id");

      migrate(store, creditMigrations);

      expect(store.all("SELECT * FROM credit_ledger ORDER BY id")).toEqual(before);
      expect(ids(store)).toEqual([2, 3]);
      expect(storedLedgerSeq(store)).toBe(5);
      const schema = store.one<{ sql: string }>(
        "SELECT sql FROM sqlite_master WHERE name = 'credit_ledger'",
      );
      expect(schema?.sql).not.toMatch(/AUTOINCREMENT/);
      // A new instance over the migrated storage numbers the next entry after 5, not after 3.
      const fresh = new WorkspaceObject(state, env);
      expect(await fresh.consumeCredits(spend, service)).toMatchObject({ ok: true });
      expect(ids(store)).toEqual([2, 3, 6]);
    });
  });

  it("numbers every kind of entry in order, whichever path writes it", async () => {
    const ws = freshWorkspace("seq");
    await setup(ws);
    const stub = stubOf(ws);
    await stub.consumeCredits(spend, service);
    const held = await stub.reserveCredits({ ...spend, ttlSeconds: 60 }, service);
    if (!held.ok || held.value.reservationId === null) throw new Error("reserve refused");
    await stub.commitReservation(held.value.reservationId, 2, service);
    const released = await stub.reserveCredits({ ...spend, ttlSeconds: 60 }, service);
    if (!released.ok || released.value.reservationId === null) throw new Error("reserve refused");
    await stub.releaseReservation(released.value.reservationId, service);
    await stub.reserveCredits({ ...spend, ttlSeconds: 60 }, service);
    await stub.consumeCredits(spend, service);
    await runInDurableObject(stub, (_: WorkspaceObject, state) => {
      const store = new Store(state.storage.sql);
      expect(ids(store)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });
  });

  it("never reuses a sequence once the object holds no entry (the floor)", async () => {
    const ws = freshWorkspace("seq");
    await setup(ws);
    const stub = stubOf(ws);
    for (let i = 0; i < 3; i++) await stub.consumeCredits(spend, service);
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      const store = new Store(state.storage.sql);
      // What the archive does once a file is confirmed: the floor first, then the entries.
      store.setMeta(LEDGER_FLOOR_KEY, 3);
      store.run("DELETE FROM credit_ledger");
      const fresh = new WorkspaceObject(state, env);
      expect(await fresh.consumeCredits(spend, service)).toMatchObject({ ok: true });
      expect(ids(store)).toEqual([4]);
    });
  });

  it("a consume rolled back gives its sequence to the next entry, never a gap", async () => {
    const ws = freshWorkspace("seq");
    await setup(ws);
    const stub = stubOf(ws);
    await stub.consumeCredits(spend, service);
    await runInDurableObject(stub, async (instance: WorkspaceObject, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      sql.exec = ((query: string, ...params: unknown[]) => {
        if (query.startsWith("INSERT OR REPLACE INTO idempotency")) throw new Error("disk full");
        return exec(query, ...params);
      }) as typeof sql.exec;
      try {
        await expect(
          instance.consumeCredits(spend, { ...service, idempotencyKey: "k", fingerprint: "f" }),
        ).rejects.toThrow(/disk full/);
      } finally {
        sql.exec = exec as typeof sql.exec;
      }
      expect(await instance.consumeCredits(spend, service)).toMatchObject({ ok: true });
      expect(ids(new Store(sql))).toEqual([1, 2]);
    });
  });
});
