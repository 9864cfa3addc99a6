import { describe, expect, it } from "vitest";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";
import type { LedgerEntry } from "../support/schemas";

async function ledger(ws: string, pageSize: number): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let after = "0";
  for (let page = 0; page < 100; page++) {
    const r = await call(
      "GET",
      `/v1/workspaces/${ws}/credits/ledger?after=${after}&limit=${pageSize}`,
      {
        role: "viewer",
      },
    );
    expect(r.status).toBe(200);
    entries.push(...r.json.entries);
    if (!r.json.hasMore) return entries;
    after = r.json.nextCursor;
  }
  throw new Error("ledger did not end");
}

describe("GET credits/ledger", () => {
  it("lists every movement in order, and its sums are the pool's figures", async () => {
    const ws = freshWorkspace("ledger");
    await setClock(ws, "2026-07-20T00:00:00Z");
    await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" });
    const svc = (path: string, body?: unknown, key?: string) =>
      call("POST", `/v1/workspaces/${ws}${path}`, {
        role: "service",
        body,
        headers: key === undefined ? {} : { "idempotency-key": key },
      });
    await svc("/credits/consume", { feature: "copilot", credits: 7 }, "k-1");
    await svc("/credits/consume", { feature: "copilot", credits: 7 }, "k-1"); // a replay
    const a = (await svc("/credits/reservations", { feature: "ai_agent", credits: 30 })).json;
    await svc(`/credits/reservations/${a.reservationId}/commit`, { credits: 42 });
    const b = (await svc("/credits/reservations", { feature: "ai_summarize", credits: 10 })).json;
    await svc(`/credits/reservations/${b.reservationId}/release`);
    await svc("/credits/check", { feature: "copilot", credits: 1 }); // writes nothing

    const entries = await ledger(ws, 2);
    expect(entries.map((e) => [e.kind, e.feature, e.credits])).toEqual([
      ["debit", "copilot", 7],
      ["hold", "ai_agent", 30],
      ["commit", "ai_agent", 42],
      ["hold", "ai_summarize", 10],
      ["release", "ai_summarize", 10],
    ]);
    expect(entries[0]).toMatchObject({ idempotencyKey: "k-1", role: "service" });
    expect(entries[2]?.reservationId).toBe(a.reservationId);
    expect(new Set(entries.map((e) => e.periodStart))).toEqual(
      new Set(["2026-07-15T00:00:00.000Z"]),
    );
    const spent = entries
      .filter((e) => e.kind === "debit" || e.kind === "commit")
      .reduce((sum, e) => sum + e.credits, 0);
    expect((await call("GET", `/v1/workspaces/${ws}/credits`)).json.used).toBe(spent);
  });

  it("pages with stable cursors and refuses a malformed one", async () => {
    const ws = freshWorkspace("ledger");
    await subscribe(ws);
    const empty = await call("GET", `/v1/workspaces/${ws}/credits/ledger`, { role: "viewer" });
    expect(empty.json).toEqual({ entries: [], nextCursor: "0", hasMore: false, archived: null });
    const bad = await call("GET", `/v1/workspaces/${ws}/credits/ledger?after=x`, {
      role: "viewer",
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe("after");
  });
});
