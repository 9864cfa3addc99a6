import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/policy/time";
import { WorkspaceObject } from "../../src/workspace/object";
import { advanceTimeTo, freezeTime, freshWorkspace, subscribe } from "../support/helpers";

/**
 * Reports as deployed (FLEET_REPORTS automatic; the other tests run them by hand): a workspace
 * reports a change within a minute and then falls silent, whether one instance lives on or each
 * wake finds a new one (an eviction). Once, every wake of a fresh instance sent a report whose
 * own bookkeeping asked for the next one a minute later: every idle workspace of a 4,000-strong
 * local fleet reported each minute (docs/fleet.md, "Scale").
 */
freezeTime();

const meta = { role: "service" as const, idempotencyKey: undefined, fingerprint: undefined };

/** The object's env with automatic reports, and a count of the D1 batches it sends. */
function counted() {
  const db = env.FLEET as D1Database;
  const sent = { batches: 0 };
  const FLEET = {
    prepare: (query: string) => db.prepare(query),
    batch: (statements: D1PreparedStatement[]) => {
      sent.batches++;
      return db.batch(statements);
    },
  };
  return { env: { ...env, FLEET, FLEET_REPORTS: "auto" } as unknown as typeof env, sent };
}

describe.each([
  { instances: "one instance throughout", evicted: false },
  { instances: "a new instance at every wake", evicted: true },
])("automatic reports, $instances", ({ evicted }) => {
  it("send the change once, then nothing until the next change", async () => {
    const ws = freshWorkspace("quiet");
    const anchor = new Date(Date.now() - DAY_MS).toISOString();
    expect((await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: anchor })).status).toBe(200);
    const { env: auto, sent } = counted();
    await runInDurableObject(env.WORKSPACE.getByName(ws), async (_, state) => {
      let object = new WorkspaceObject(state, auto);
      const consumed = await object.consumeCredits({ feature: "ai_rewriter", credits: 10 }, meta);
      expect(consumed.ok).toBe(true);
      const start = Date.now();
      // Every alarm within the next day, rung as workerd would (at its instant).
      for (let ring = 0; ring < 20; ring++) {
        const at = await state.storage.getAlarm();
        if (at === null || at > start + DAY_MS) break;
        advanceTimeTo(Math.max(at, Date.now()));
        if (evicted) object = new WorkspaceObject(state, auto);
        await object.alarm();
      }
      // The consume's decision and row in one report; then silence (the next alarm is the
      // period's end, a month away).
      expect(sent.batches).toBe(1);
      const next = await state.storage.getAlarm();
      expect(next === null || next > start + DAY_MS).toBe(true);
      const row = await env.FLEET?.prepare(
        "SELECT credits_used FROM fleet_workspaces WHERE workspace_id = ?",
      )
        .bind(ws)
        .first<{ credits_used: number }>();
      expect(row?.credits_used).toBe(10);
    });
  });
});
