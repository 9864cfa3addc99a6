import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { askQuestion, check, commit, consume, release, reserve, setup } from "../support/credits";
import { api, call, freshWorkspace, setClock } from "../support/helpers";

/**
 * Receipts (docs/rules.md#receipts): every credit decision names one ledger position, the
 * entry a spend wrote or the last one a check or refusal was decided against.
 */

const entry = (ws: string, seq: number | string) =>
  call("GET", `${api(ws)}/credits/ledger/${seq}`, { role: "viewer" });

describe("receipts", () => {
  it("give each spend its own strictly increasing sequence, and a check the last one", async () => {
    const ws = freshWorkspace("rcpt");
    await setup(ws);
    const first = await check(ws, "ai_rewriter", 1);
    expect(first.json.receipt).toEqual({ seq: 0, at: "2026-07-20T00:00:00.000Z" });

    const seqs: number[] = [];
    const steps: [string, () => Promise<{ status: number; json: { receipt: { seq: number } } }>][] =
      [
        ["consume", () => consume(ws, "ai_rewriter", 2)],
        ["consume", () => consume(ws, "ai_summarize", 3)],
        ["question", () => askQuestion(ws)],
      ];
    for (const [name, step] of steps) {
      const r = await step();
      expect(r.status, name).toBe(200);
      seqs.push(r.json.receipt.seq);
      // A check decided after the spend is decided against that spend's entry.
      expect((await check(ws, "ai_rewriter", 1)).json.receipt.seq, name).toBe(r.json.receipt.seq);
    }
    const hold = await reserve(ws, "ai_agent", 30, 120);
    const committed = await commit(ws, hold.json.reservationId, 42);
    const hold2 = await reserve(ws, "ai_agent", 5, 120);
    const released = await release(ws, hold2.json.reservationId);
    seqs.push(hold.json.receipt.seq, committed.json.receipt.seq);
    seqs.push(hold2.json.receipt.seq, released.json.receipt.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // Each receipt names its own entry.
    const kinds = await Promise.all(seqs.map(async (seq) => (await entry(ws, seq)).json.kind));
    expect(kinds).toEqual(["debit", "debit", "question", "hold", "commit", "hold", "release"]);
    const debit = await entry(ws, 2);
    expect(debit.json).toMatchObject({
      id: 2,
      kind: "debit",
      feature: "ai_summarize",
      credits: 3,
      role: "service",
    });
  });

  it("give a refusal the last sequence, and write no entry for it", async () => {
    const ws = freshWorkspace("rcpt-refused");
    await setup(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00.000Z" });
    const spent = await consume(ws, "ai_rewriter", 5);
    const refused = await consume(ws, "ai_rewriter", 1_000_000);
    expect(refused.json).toMatchObject({ allowed: false, reason: "insufficient_credits" });
    expect(refused.json.receipt.seq).toBe(spent.json.receipt.seq);
    const hold = await reserve(ws, "ai_agent", 1_000_000);
    expect(hold.json).toMatchObject({ allowed: false, reservationId: null });
    expect(hold.json.receipt.seq).toBe(spent.json.receipt.seq);
    expect((await entry(ws, spent.json.receipt.seq + 1)).status).toBe(404);
  });

  it("replay with the original receipt, however many spends came between", async () => {
    const ws = freshWorkspace("rcpt-replay");
    await setup(ws);
    const key = { headers: { "idempotency-key": "k-1" } };
    const original = await consume(ws, "ai_rewriter", 2, key);
    await consume(ws, "ai_rewriter", 2);
    await setClock(ws, "2026-07-20T00:05:00Z");
    const replay = await consume(ws, "ai_rewriter", 2, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.receipt).toEqual(original.json.receipt);
    expect(replay.json.receipt).toEqual({ seq: 1, at: "2026-07-20T00:00:00.000Z" });
    expect((await consume(ws, "ai_rewriter", 2)).json.receipt.seq).toBe(3);
  });

  it("look an entry up by its sequence: 400 for a bad one, 404 before it exists, 410 once archived", async () => {
    const ws = freshWorkspace("rcpt-lookup");
    await setup(ws);
    const spent = await consume(ws, "ai_rewriter", 2);
    expect((await entry(ws, spent.json.receipt.seq)).status).toBe(200);
    for (const bad of ["0", "-1", "x", "1.5"]) {
      const r = await entry(ws, bad);
      expect(r.status, bad).toBe(400);
      expect(r.json.error.details[0].path).toBe("seq");
    }
    expect((await entry(ws, 2)).status).toBe(404);
    // Past the ledger's retention (400 days), the alarm's housekeeping prunes the entry.
    await setClock(ws, "2027-09-01T00:00:00Z");
    const gone = await entry(ws, spent.json.receipt.seq);
    expect(gone.status).toBe(410);
    expect(gone.json.error).toMatchObject({
      code: "ledger_entry_archived",
      details: { seq: 1, archives: `/v1/workspaces/${ws}/archives` },
    });
    expect(gone.json.error.message).toContain(`GET /v1/workspaces/${ws}/archives`);
    // A pruned sequence is never handed out again.
    expect((await consume(ws, "ai_rewriter", 2)).json.receipt.seq).toBe(2);
  });

  it("give a check the receipt it would give before the object restarts, and after", async () => {
    const ws = freshWorkspace("rcpt-cold");
    await setup(ws);
    await consume(ws, "ai_rewriter", 2);
    await consume(ws, "ai_rewriter", 2);
    await evictDurableObject(env.WORKSPACE.getByName(ws));
    expect((await check(ws, "ai_rewriter", 1)).json.receipt.seq).toBe(2);
  });
});
