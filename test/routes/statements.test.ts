import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AI_FEATURES } from "../../src/policy/catalogue";
import { DAY_MS } from "../../src/policy/time";
import { archivedFiles } from "../support/archive";
import { api, call, freezeTime, freshWorkspace } from "../support/helpers";

/**
 * Period statements (issue #19): every closed period's figures equal the ledger's sums over
 * that period, to the credit, archived days included, and the CSV says the same.
 */

const T0 = Date.parse("2026-01-03T08:00:00Z");
const DAYS = 160;

type Entry = { kind: string; credits: number; feature: string | null; periodStart: number };

async function history(ws: string): Promise<Entry[]> {
  const archived = (await archivedFiles(ws, "ledger")).flatMap((f) =>
    (
      f.rows as { kind: string; credits: number; feature: string | null; periodStart: string }[]
    ).map((r) => ({ ...r, periodStart: Date.parse(r.periodStart) })),
  );
  const raw = await runRaw(ws);
  return [...archived, ...raw];
}

const runRaw = async (ws: string): Promise<Entry[]> => {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(env.WORKSPACE.getByName(ws), (_o, state) =>
    state.storage.sql
      .exec<{ kind: string; credits: number; feature: string | null; period_start: number }>(
        "SELECT kind, credits, feature, period_start FROM credit_ledger",
      )
      .toArray()
      .map((r) => ({
        kind: r.kind,
        credits: r.credits,
        feature: r.feature,
        periodStart: r.period_start,
      })),
  );
};

describe("period statements", () => {
  freezeTime();

  it("every closed period's statement equals the ledger's sums, archived days included", async () => {
    const ws = freshWorkspace("stmt");
    const stub = env.WORKSPACE.getByName(ws);
    await stub.setTestClock(T0);
    await stub.putSubscription(
      ws,
      { plan: "pro", seats: 2, periodAnchor: "2026-01-15T00:00:00Z" },
      { role: "platform" },
    );
    await stub.putCreditPackage(
      { id: "pkg-1", credits: 500, expiresAt: "2026-03-20T00:00:00Z" },
      { role: "platform" },
    );
    const refusedAt: number[] = [];
    for (let d = 0; d < DAYS; d++) {
      await stub.setTestClock(T0 + d * DAY_MS);
      const feature = AI_FEATURES[d % 3] ?? "copilot";
      await stub.consumeCredits({ feature, credits: 1 + (d % 9) }, { role: "service" });
      if (d % 20 === 5) {
        // Refused (more than the pool): counted by reason for the period's statement.
        const r = await stub.consumeCredits({ feature, credits: 900_000 }, { role: "service" });
        expect(r).toMatchObject({ ok: true, value: { allowed: false } });
        refusedAt.push(T0 + d * DAY_MS);
      }
      if (d % 10 === 0) {
        const held = await stub.reserveCredits(
          { feature: "ai_agent", credits: 5 },
          { role: "service" },
        );
        if (!held.ok || held.value.reservationId === null) throw new Error("reserve refused");
        await stub.commitReservation(held.value.reservationId, 8, { role: "service" });
      }
    }
    const list = await call("GET", `${api(ws)}/credits/statements?limit=100`, { role: "viewer" });
    expect(list.status).toBe(200);
    const statements = list.json.statements as {
      periodStart: string;
      used: number;
      usedByFeature: Record<string, number>;
      packages: { id: string }[];
      includedCredits: number;
      balance: number;
      expiredCredits: number;
      overrun: number;
      periodEnd: string;
      refusalsByReason: Record<string, number>;
    }[];
    // Jan 3 → Jun 11: five closed periods, newest first; the first began before the subscription.
    expect(statements.map((s) => s.periodStart.slice(0, 10))).toEqual([
      "2026-04-15",
      "2026-03-15",
      "2026-02-15",
      "2026-01-15",
      "2025-12-15",
    ]);
    const entries = await history(ws);
    expect((await archivedFiles(ws, "ledger")).length).toBeGreaterThan(50);
    for (const s of statements) {
      const start = Date.parse(s.periodStart);
      const charged = entries.filter(
        (e) => e.periodStart === start && (e.kind === "debit" || e.kind === "commit"),
      );
      const byFeature: Record<string, number> = Object.fromEntries(AI_FEATURES.map((f) => [f, 0]));
      for (const e of charged) {
        const f = e.feature ?? "";
        byFeature[f] = (byFeature[f] ?? 0) + e.credits;
      }
      expect(s.usedByFeature).toEqual(byFeature);
      expect(s.used).toBe(charged.reduce((n, e) => n + e.credits, 0));
      expect(s.expiredCredits - s.overrun).toBe(s.balance - s.used);
      const end = Date.parse(s.periodEnd);
      const refusals = refusedAt.filter((at) => at >= start && at < end).length;
      expect(s.refusalsByReason).toEqual(refusals === 0 ? {} : { insufficient_credits: refusals });
    }
    const feb = statements.find((s) => s.periodStart.startsWith("2026-02-15"));
    expect(feb?.packages.map((p) => p.id)).toEqual(["pkg-1"]);
    expect(feb?.balance).toBe((feb?.includedCredits ?? 0) + 500);

    const one = await call("GET", `${api(ws)}/credits/statements/2026-02-15T00:00:00Z`, {
      role: "admin",
    });
    expect(one.json).toEqual(feb);
    const csv = await call("GET", `${api(ws)}/credits/statements/2026-02-15T00:00:00Z?format=csv`, {
      role: "viewer",
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe("section,item,value");
    expect(lines).toContain(`credits,used,${feb?.used}`);
    expect(lines).toContain("package,pkg-1,500");
  }, 120_000);

  it("answers 404 for a period that never closed, 400 naming a malformed periodStart", async () => {
    const ws = freshWorkspace("stmt");
    const stub = env.WORKSPACE.getByName(ws);
    await stub.setTestClock(T0);
    await stub.putSubscription(
      ws,
      { plan: "pro", seats: 2, periodAnchor: "2026-01-15T00:00:00Z" },
      { role: "platform" },
    );
    const none = await call("GET", `${api(ws)}/credits/statements/2025-12-15T00:00:00Z`, {
      role: "viewer",
    });
    expect(none.status).toBe(404);
    const bad = await call("GET", `${api(ws)}/credits/statements/yesterday`, { role: "viewer" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe("periodStart");
    const badFormat = await call(
      "GET",
      `${api(ws)}/credits/statements/2025-12-15T00:00:00Z?format=xml`,
      {
        role: "viewer",
      },
    );
    expect(badFormat.status).toBe(400);
  });
});
