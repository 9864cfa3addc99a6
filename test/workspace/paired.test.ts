import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CallMeta } from "../../src/workspace/context";
import { WorkspaceObject } from "../../src/workspace/object";
import { setup } from "../support/credits";
import { freezeTime, freshWorkspace } from "../support/helpers";

/**
 * The paired check: with test clocks on, the object compares what it keeps in memory with
 * storage after every mutation and throws on any difference. A write path that changes a
 * remembered row without going through memory.ts must fail here, not drift in production.
 */

const service: CallMeta = { role: "service" };
const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);

/**
 * Runs `call` inside the object while every ledger insert also runs `bypass` (a write that
 * forgets memory, in the same transaction), on `instance` or a fresh one over the same storage.
 */
const withBypass = (
  ws: string,
  bypass: string,
  call: (instance: WorkspaceObject, state: DurableObjectState) => Promise<unknown>,
) =>
  runInDurableObject(stubOf(ws), async (instance: WorkspaceObject, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    sql.exec = ((query: string, ...params: unknown[]) => {
      const cursor = exec(query, ...params);
      if (query.startsWith("INSERT INTO credit_ledger")) exec(bypass);
      return cursor;
    }) as typeof sql.exec;
    try {
      return await call(instance, state);
    } finally {
      sql.exec = exec as typeof sql.exec;
    }
  });

describe("the paired check", () => {
  freezeTime();

  it("fails a consume whose write to credit_usage bypasses memory", async () => {
    const ws = freshWorkspace("paired");
    await setup(ws);
    await stubOf(ws).consumeCredits({ feature: "copilot", credits: 10 }, service);
    await withBypass(ws, "UPDATE credit_usage SET used = used + 5", (instance) =>
      expect(instance.consumeCredits({ feature: "copilot", credits: 1 }, service)).rejects.toThrow(
        /memory differs from storage: used/,
      ),
    );
  });

  it("fails a reserve whose write to credit_holds bypasses memory", async () => {
    const ws = freshWorkspace("paired");
    await setup(ws);
    await stubOf(ws).consumeCredits({ feature: "copilot", credits: 10 }, service);
    await withBypass(ws, "UPDATE credit_holds SET held = held + 3", (instance) =>
      expect(
        instance.reserveCredits({ feature: "copilot", credits: 4, ttlSeconds: 600 }, service),
      ).rejects.toThrow(/memory differs from storage: held/),
    );
  });

  it("fails a consume whose ledger floor moves without memory (the ledger's sequence)", async () => {
    const ws = freshWorkspace("paired");
    await setup(ws);
    await stubOf(ws).consumeCredits({ feature: "copilot", credits: 10 }, service);
    await withBypass(
      ws,
      "INSERT INTO meta (key, value) VALUES ('credits.ledgerFloor', '1000') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      (instance) =>
        expect(
          instance.consumeCredits({ feature: "copilot", credits: 1 }, service),
        ).rejects.toThrow(/memory differs from storage: ledgerSeq/),
    );
  });

  it("passes the same calls when every write goes through memory", async () => {
    const ws = freshWorkspace("paired");
    await setup(ws);
    const stub = stubOf(ws);
    await stub.consumeCredits({ feature: "copilot", credits: 10 }, service);
    await withBypass(ws, "SELECT 1", async (instance) => {
      expect(
        await instance.consumeCredits({ feature: "copilot", credits: 1 }, service),
      ).toMatchObject({ ok: true, value: { used: 11 } });
      expect(
        await instance.reserveCredits({ feature: "copilot", credits: 4, ttlSeconds: 600 }, service),
      ).toMatchObject({ ok: true, value: { held: 4 } });
    });
  });

  it("does not run where test clocks are off (production)", async () => {
    const ws = freshWorkspace("paired");
    const stub = stubOf(ws);
    const anchor = new Date(Date.now() - 86_400_000).toISOString();
    await stub.putSubscription(
      ws,
      { plan: "pro", seats: 3, periodAnchor: anchor },
      {
        role: "platform",
      },
    );
    await withBypass(ws, "UPDATE credit_usage SET used = used + 5", async (_, state) => {
      const production = new WorkspaceObject(state, { ...env, TEST_CLOCKS: "off" });
      await production.consumeCredits({ feature: "copilot", credits: 1 }, service);
      // The drift is there, unseen: memory says 2, storage 12.
      expect(
        await production.consumeCredits({ feature: "copilot", credits: 1 }, service),
      ).toMatchObject({ ok: true, value: { used: 2 } });
    });
  });
});
