import { describe, expect, it } from "vitest";
import { creditMigrations } from "../../src/workspace/credits";
import { consume, inObject, rows, setup } from "../support/credits";
import { api, call, freshWorkspace } from "../support/helpers";

/**
 * A period's ledger entries are the ids after the bound stored with its schedule
 * (`ledgerFrom`), so a spend writes no index row on `at` and the daily chart still reads only
 * the period's entries.
 */

const storedBound = (ws: string) =>
  inObject(ws, (sql) => {
    const row = rows(sql, "SELECT value FROM meta WHERE key = 'credits.period'")[0];
    return (JSON.parse(String(row?.value)) as { ledgerFrom?: number }).ledgerFrom;
  });

const tamperClock = (ws: string, at: string) =>
  inObject(ws, (sql) =>
    sql.exec("UPDATE meta SET value = ? WHERE key = 'testClock'", JSON.stringify(Date.parse(at))),
  );

describe("the ledger bound of a period", () => {
  it("is stored before anything is charged to the period, even a renewal noticed late", async () => {
    const ws = freshWorkspace("range");
    await setup(ws); // anchored on the 15th, clock on 2026-07-20
    expect(await storedBound(ws)).toBe(0);
    await consume(ws, "copilot", 5);
    await consume(ws, "copilot", 6);
    // Into the next period without due work: the first spend notices the renewal first.
    await tamperClock(ws, "2026-08-16T00:00:00.000Z");
    const before = await call("GET", `${api(ws)}/credits/daily`, { role: "viewer" });
    expect(before.json).toMatchObject({ periodStart: "2026-08-15T00:00:00.000Z", used: 0 });
    await consume(ws, "copilot", 7);
    expect(await storedBound(ws)).toBe(2);
    const after = await call("GET", `${api(ws)}/credits/daily`, { role: "viewer" });
    expect(after.json.used).toBe(7);
    expect(after.json.days[1].credits).toBe(7);
  });

  it("is set by the migration for the period in force, from the index it then drops", async () => {
    const ws = freshWorkspace("range");
    await setup(ws);
    const migration = creditMigrations.find((m) => m.name === "credits_v2_ledger_unindexed");
    const update = migration?.statements[0] ?? "";
    const bound = await inObject(ws, (sql) => {
      // A workspace as it was before the migration: the index, July's entries, no bound.
      sql.exec("CREATE INDEX credit_ledger_at ON credit_ledger (at)");
      for (const at of ["2026-07-01T00:00:00Z", "2026-07-10T00:00:00Z", "2026-07-16T00:00:00Z"]) {
        sql.exec(
          `INSERT INTO credit_ledger (at, kind, feature, credits, period_start)
           VALUES (?, 'debit', 'copilot', 1, 0)`,
          Date.parse(at),
        );
      }
      sql.exec(
        "UPDATE meta SET value = json_remove(value, '$.ledgerFrom') WHERE key = 'credits.period'",
      );
      sql.exec(update);
      sql.exec("DROP INDEX credit_ledger_at");
      return rows(sql, "SELECT value FROM meta WHERE key = 'credits.period'")[0]?.value;
    });
    // The period in force began 2026-07-15: entry 3 (on the 16th) is its first.
    expect(JSON.parse(String(bound)).ledgerFrom).toBe(2);
  });
});
