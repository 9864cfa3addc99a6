import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LEDGER_SCAN_ROWS } from "../../src/policy/ledgerView";
import type { Role } from "../../src/workspace/context";
import { consumeAs, createAgents } from "../support/budgets";
import {
  askQuestion,
  commit,
  consume,
  inObject,
  release,
  reserve,
  setup,
} from "../support/credits";
import { api, call, freshWorkspace, setClock, token } from "../support/helpers";

/**
 * The ledger view (docs/credits.md#the-ledger-view): GET credits/ledger newest first or
 * filtered, paged with cursors bound to the workspace and to the query, with the archived
 * sequences said as such.
 */

const ledger = (ws: string, query: string, role: Role = "viewer") =>
  call("GET", `${api(ws)}/credits/ledger?${query}`, { role });

/** Every page of a query, following nextCursor: the ids of each page. */
async function pages(ws: string, query: string): Promise<number[][]> {
  const out: number[][] = [];
  let after = "0";
  for (let i = 0; i < 50; i++) {
    const r = await ledger(ws, `${query}&after=${after}`);
    expect(r.status, r.text).toBe(200);
    out.push(r.json.entries.map((e: { id: number }) => e.id));
    if (!r.json.hasMore) return out;
    after = r.json.nextCursor;
  }
  throw new Error("the listing did not end");
}

/**
 * Eight entries: 1 debit ai_summarize, 2 debit copilot by bot-a, 3 hold ai_agent, 4 its commit,
 * 5 debit ai_summarize by bot-b, 6 hold ai_summarize, 7 its release, 8 a Copilot question.
 */
async function workspaceWithEntries(): Promise<string> {
  const ws = freshWorkspace("lview");
  await setup(ws);
  await createAgents(ws, "bot-a", "bot-b");
  expect((await consume(ws, "ai_summarize", 2)).json.receipt.seq).toBe(1);
  await consumeAs(ws, "bot-a", "copilot", 3);
  const a = (await reserve(ws, "ai_agent", 30)).json;
  await commit(ws, a.reservationId, 42);
  await consumeAs(ws, "bot-b", "ai_summarize", 5);
  const b = (await reserve(ws, "ai_summarize", 10)).json;
  await release(ws, b.reservationId);
  expect((await askQuestion(ws)).json.receipt.seq).toBe(8);
  return ws;
}

describe("GET credits/ledger, the ledger view", () => {
  it("pages newest first and by every filter, each page at most `limit`", async () => {
    const ws = await workspaceWithEntries();
    const cases: [string, number[]][] = [
      ["order=newest", [8, 7, 6, 5, 4, 3, 2, 1]],
      ["order=newest&feature=ai_summarize", [7, 6, 5, 1]],
      ["order=newest&kind=debit", [5, 2, 1]],
      ["order=newest&kind=question", [8]],
      ["order=newest&agentId=bot-a", [2]],
      ["order=newest&agentId=nobody", []],
      ["order=newest&feature=ai_summarize&kind=hold", [6]],
      ["order=oldest&kind=debit", [1, 2, 5]],
      ["feature=ai_agent", [3, 4]],
    ];
    for (const [query, ids] of cases) {
      for (const limit of [1, 3, 100]) {
        const got = await pages(ws, `${query}&limit=${limit}`);
        expect(got.flat(), `${query} limit ${limit}`).toEqual(ids);
        for (const page of got) expect(page.length).toBeLessThanOrEqual(limit);
      }
    }
    const first = await ledger(ws, "order=newest&limit=2");
    expect(first.json).toMatchObject({ hasMore: true, archived: null });
    expect(first.json.entries[1]).toMatchObject({
      id: 7,
      kind: "release",
      feature: "ai_summarize",
      credits: 10,
    });
    const bots = await ledger(ws, "order=newest&feature=ai_summarize&kind=debit");
    expect(bots.json.entries.map((e: { agentId: string | null }) => e.agentId)).toEqual([
      "bot-b",
      null,
    ]);
  });

  it("starts the first page at a receipt with `from`, either way", async () => {
    const ws = await workspaceWithEntries();
    const cases: [string, number[]][] = [
      ["order=newest&from=5", [5, 4, 3, 2, 1]],
      ["order=newest&from=5&kind=debit", [5, 2, 1]],
      ["order=newest&from=99", [8, 7, 6, 5, 4, 3, 2, 1]],
      ["order=oldest&from=5", [5, 6, 7, 8]],
      ["from=6&feature=ai_summarize", [6, 7]],
      ["order=oldest&from=99", []],
    ];
    for (const [query, ids] of cases) {
      const r = await ledger(ws, `${query}&limit=2`);
      expect(r.status, query).toBe(200);
      expect(r.json.entries.map((e: { id: number }) => e.id)).toEqual(ids.slice(0, 2));
      // The next pages follow the cursor, without `from`.
      const rest = r.json.hasMore ? await pagesAfter(ws, query, r.json.nextCursor) : [];
      expect([...r.json.entries.map((e: { id: number }) => e.id), ...rest], query).toEqual(ids);
    }
    const both = await ledger(ws, "order=newest&from=5&after=x1");
    expect(both.status).toBe(400);
    const cursor = (await ledger(ws, "order=newest&limit=1")).json.nextCursor;
    const mixed = await ledger(ws, `order=newest&from=5&after=${cursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.details[0].path).toBe("from");
  });

  it("binds a cursor to its workspace and its query", async () => {
    const ws = await workspaceWithEntries();
    const other = await workspaceWithEntries();
    const summarize = (await ledger(ws, "order=newest&feature=ai_summarize&limit=1")).json
      .nextCursor;
    const plain = (await ledger(ws, "limit=1")).json.nextCursor;
    const cases: [string, string, string, RegExp][] = [
      [ws, "order=newest&feature=copilot", summarize, /another order or filters/],
      [ws, "order=oldest&feature=ai_summarize", summarize, /another order or filters/],
      [ws, "order=newest", summarize, /another order or filters/],
      [ws, "order=newest&feature=ai_summarize&agentId=bot-b", summarize, /another order or/],
      [ws, "limit=1", summarize, /newest first or filtered, not of the credit ledger$/],
      [ws, "order=newest", plain, /of the credit ledger, not of the credit ledger read/],
      [other, "order=newest&feature=ai_summarize", summarize, /of another workspace/],
    ];
    for (const [target, query, after, why] of cases) {
      const r = await ledger(target, `${query}&after=${after}`);
      expect(r.status, query).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details[0].path).toBe("after");
      expect(r.json.error.details[0].message, query).toMatch(why);
    }
    // The same query goes on, whatever `limit` it now asks.
    const next = await ledger(ws, `order=newest&feature=ai_summarize&limit=5&after=${summarize}`);
    expect(next.json.entries.map((e: { id: number }) => e.id)).toEqual([6, 5, 1]);
  });

  it("answers every role that reads, refuses another workspace's token and bad filters", async () => {
    const ws = await workspaceWithEntries();
    for (const role of ["viewer", "admin", "service", "platform"] as const) {
      const r = await ledger(ws, "order=newest&kind=debit", role);
      expect(r.status, role).toBe(200);
      expect(r.json.entries).toHaveLength(3);
    }
    const foreign = await call("GET", `${api(ws)}/credits/ledger?order=newest`, {
      token: await token("someone-else", "viewer"),
    });
    expect(foreign.status).toBe(403);
    const bad: [string, string][] = [
      ["order=sideways", "order"],
      ["kind=refund", "kind"],
      ["feature=ai_magic", "feature"],
      ["agentId=", "agentId"],
      ["from=0", "from"],
      ["from=x", "from"],
      ["limit=101", "limit"],
    ];
    for (const [query, path] of bad) {
      const r = await ledger(ws, query);
      expect(r.status, query).toBe(400);
      expect(r.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });

  it("reads a bounded window per page, so a rare filter still pages to its entries", async () => {
    const ws = freshWorkspace("lview-scan");
    await setup(ws);
    await consume(ws, "ai_agent", 4); // entry 1
    const many = LEDGER_SCAN_ROWS + 50;
    await inObject(ws, (sql) => {
      // Entries 2 … many+1: a busy feature, written as the object writes them.
      sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO credit_ledger (id, at, kind, feature, credits, period_start)
         SELECT i, ?, 'debit', 'copilot', 1, ? FROM n`,
        many + 1,
        Date.parse("2026-07-20T00:00:00Z"),
        Date.parse("2026-07-15T00:00:00Z"),
      );
    });
    await evictDurableObject(env.WORKSPACE.getByName(ws)); // memory reads the new last sequence
    const first = await ledger(ws, "order=newest&feature=ai_agent&limit=10");
    expect(first.json).toMatchObject({ entries: [], hasMore: true });
    const second = await ledger(
      ws,
      `order=newest&feature=ai_agent&limit=10&after=${first.json.nextCursor}`,
    );
    expect(second.json.entries.map((e: { id: number }) => e.id)).toEqual([1]);
    expect(second.json.hasMore).toBe(false);
    // Unfiltered, a page is full at once.
    expect((await ledger(ws, "order=newest&limit=100")).json.entries[0].id).toBe(many + 1);
  });

  it("says which sequences were archived, and where, once they leave the object", async () => {
    const ws = freshWorkspace("lview-arch");
    await setup(ws);
    await consume(ws, "ai_summarize", 2);
    await consume(ws, "ai_summarize", 3);
    // Past the ledger's raw window (62 days after the entries' day), due work archives them.
    await setClock(ws, "2026-09-25T00:00:00Z");
    await consume(ws, "ai_summarize", 4);
    const archived = { throughSeq: 2, archives: `/v1/workspaces/${ws}/archives` };
    for (const query of ["order=newest", "order=oldest&feature=ai_summarize", "limit=100"]) {
      const r = await ledger(ws, query);
      expect(r.status, query).toBe(200);
      expect(
        r.json.entries.map((e: { id: number }) => e.id),
        query,
      ).toEqual([3]);
      expect(r.json, query).toMatchObject({ hasMore: false, archived });
    }
    const from = await ledger(ws, "order=newest&from=2");
    expect(from.json).toMatchObject({ entries: [], hasMore: false, archived });
  });
});

async function pagesAfter(ws: string, query: string, cursor: string): Promise<number[]> {
  const ids: number[] = [];
  let after = cursor;
  for (let i = 0; i < 20; i++) {
    const r = await ledger(ws, `${query.replace(/&?from=\d+/, "")}&limit=2&after=${after}`);
    expect(r.status, r.text).toBe(200);
    ids.push(...r.json.entries.map((e: { id: number }) => e.id));
    if (!r.json.hasMore) return ids;
    after = r.json.nextCursor;
  }
  throw new Error("the listing did not end");
}
