import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/policy/time";
import { LOOKUPS } from "../../src/workspace/entities";
import type { WorkspaceObject } from "../../src/workspace/object";
import {
  advanceTimeTo,
  freezeTime,
  freshWorkspace,
  setClock,
  settledAlarm,
  subscribe,
} from "../helpers";

const service = { role: "service" } as const;
const T0 = "2026-07-15T00:00:00.000Z";

const plan = (seats: number, leadsPerSeat: number) => ({
  plan: "pro",
  seats,
  periodAnchor: T0,
  overrides: { leadsPerSeat, contactsAndCompaniesPerSeat: leadsPerSeat },
});

const eventTypes = (state: DurableObjectState) =>
  state.storage.sql
    .exec<{ type: string }>("SELECT type FROM events ORDER BY seq")
    .toArray()
    .map((e) => e.type);

describe("entities in the workspace object", () => {
  freezeTime();
  it("arms the alarm at the grace end, and the alarm enforces an idle workspace on time", async () => {
    const ws = freshWorkspace("ent");
    await subscribe(ws, plan(1, 2));
    const stub = env.WORKSPACE.getByName(ws);
    await stub.createEntity("leads", "L1", service);
    const reach = await stub.createEntity("leads", "L2", service);
    if (!reach.ok) throw new Error("create failed");
    const graceEndsAt = Date.parse(reach.value.grace?.endsAt ?? "");
    expect(graceEndsAt - Date.parse(reach.value.updatedAt)).toBe(DAY_MS);
    expect(await settledAlarm(ws)).toBe(graceEndsAt);
    // The grace lapses with no call arriving: only the alarm can enforce it.
    advanceTimeTo(graceEndsAt + HOUR_MS);
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      expect(eventTypes(state)).toEqual(["limit.reached"]);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      expect(eventTypes(state)).toEqual(["limit.reached", "limit.enforced"]);
    });
    // Nothing of this domain is due any more (other domains may arm later deadlines).
    const alarm = await settledAlarm(ws);
    expect(alarm === null || alarm > graceEndsAt).toBe(true);
    const usage = await stub.usage();
    expect(usage.ok && usage.value.leads.state).toBe("enforced");
    const blocked = await stub.createEntity("leads", "L3", service);
    expect(blocked.ok && blocked.value.status).toBe("blocked");
  });

  it("applies due work once, however often it runs", async () => {
    const ws = freshWorkspace("ent");
    await setClock(ws, T0);
    await subscribe(ws, plan(1, 1));
    const stub = env.WORKSPACE.getByName(ws);
    await stub.createEntity("contacts", "C1", service);
    await setClock(ws, "2026-07-17T00:00:00.000Z");
    await stub.runDueWork();
    await stub.runDueWork();
    await runInDurableObject(stub, (_: WorkspaceObject, state) => {
      expect(eventTypes(state)).toEqual(["limit.reached", "limit.enforced"]);
    });
  });

  it("unblocks a backlog larger than one page, oldest first, in one settle", async () => {
    const ws = freshWorkspace("ent");
    await setClock(ws, T0);
    await subscribe(ws, plan(1, 1));
    const stub = env.WORKSPACE.getByName(ws);
    await stub.createEntity("leads", "first", service);
    await setClock(ws, "2026-07-16T00:00:00.000Z");
    await runInDurableObject(stub, async (instance: WorkspaceObject) => {
      for (let n = 0; n < 1_200; n++) {
        const r = await instance.createEntity("leads", `b${n}`, service);
        if (!r.ok || r.value.status !== "blocked") throw new Error(`not blocked at ${n}`);
      }
    });
    await subscribe(ws, plan(1_000, 1));
    const usage = await stub.usage();
    expect(usage.ok && usage.value.leads).toEqual({
      used: 1_000,
      limit: 1_000,
      blocked: 201,
      state: "enforced",
      graceEndsAt: "2026-07-16T00:00:00.000Z",
    });
    const at = async (id: string) => {
      const r = await stub.getEntity("leads", id);
      return r.ok ? r.value.status : "missing";
    };
    expect([await at("b0"), await at("b998"), await at("b999"), await at("b1199")]).toEqual([
      "active",
      "active",
      "blocked",
      "blocked",
    ]);
    await subscribe(ws, plan(2_000, 1));
    await runInDurableObject(stub, (_: WorkspaceObject, state) => {
      const types = eventTypes(state);
      expect(types.filter((t) => t === "entity.unblocked")).toHaveLength(1_200);
      expect(types.at(-1)).toBe("limit.resolved");
      const queued = state.storage.sql.exec("SELECT seq FROM entity_blocked").toArray();
      expect(queued).toHaveLength(0);
    });
  });

  it("keeps its counters equal to the rows, through a long mixed sequence", async () => {
    const ws = freshWorkspace("ent");
    await setClock(ws, T0);
    await subscribe(ws, plan(1, 3));
    const stub = env.WORKSPACE.getByName(ws);
    // A fixed pseudo-random sequence (mulberry32), so a failure reproduces.
    let seed = 42;
    const next = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    let clock = Date.parse(T0);
    const kinds = ["leads", "contacts", "companies"] as const;
    for (let step = 0; step < 400; step++) {
      const kind = kinds[next(3)] ?? "leads";
      const id = `${next(16)}`;
      const op = next(10);
      if (op < 5) await stub.createEntity(kind, id, service);
      else if (op === 5) await stub.closeLead(id, next(2) === 0 ? "won" : "lost", service);
      else if (op === 6) await stub.reopenLead(id, service);
      else if (op === 7) await stub.deleteEntity(kind, id, service);
      else if (op === 8) await subscribe(ws, plan(1 + next(2), 1 + next(3)));
      else {
        clock += next(3) * 12 * HOUR_MS;
        await setClock(ws, new Date(clock).toISOString());
      }
    }
    await runInDurableObject(stub, (_: WorkspaceObject, state) => {
      const sql = state.storage.sql;
      const pools = sql.exec<{ pool: string; counted: number; blocked: number }>(
        "SELECT pool, counted, blocked FROM entity_pools ORDER BY pool",
      );
      const actual = sql.exec<{ pool: string; counted: number; blocked: number }>(
        `SELECT p.pool,
           (SELECT COUNT(*) FROM entities e WHERE e.status = 'active'
              AND (e.kind = 'leads') = (p.pool = 'leads')) AS counted,
           (SELECT COUNT(*) FROM entities e WHERE e.status = 'blocked'
              AND (e.kind = 'leads') = (p.pool = 'leads')) AS blocked
         FROM entity_pools p ORDER BY p.pool`,
      );
      const stored = pools.toArray();
      expect(stored).toEqual(actual.toArray());
      // The run must have exercised blocking, or it proves little.
      const types = eventTypes(state);
      for (const t of ["entity.blocked", "entity.unblocked", "limit.resolved"]) {
        expect(types).toContain(t);
      }
      const queue = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM entity_blocked").one().n;
      expect(queue).toBe(stored.reduce((sum, p) => sum + p.blocked, 0));
    });
  });

  it("answers every lookup of a call with an index search, never a scan", async () => {
    const ws = freshWorkspace("ent");
    await subscribe(ws, plan(1, 1));
    await runInDurableObject(env.WORKSPACE.getByName(ws), (_: WorkspaceObject, state) => {
      const params: Record<keyof typeof LOOKUPS, (string | number)[]> = {
        entity: ["leads", "L1"],
        pool: ["leads"],
        oldestBlocked: ["leads", 10],
      };
      for (const [name, query] of Object.entries(LOOKUPS)) {
        const plan = state.storage.sql
          .exec<{ detail: string }>(
            `EXPLAIN QUERY PLAN ${query}`,
            ...(params[name as keyof typeof LOOKUPS] ?? []),
          )
          .toArray()
          .map((r) => r.detail);
        expect(plan.length, name).toBeGreaterThan(0);
        for (const step of plan) {
          expect(step, `${name}: ${step}`).toMatch(/^SEARCH /);
          expect(step).not.toMatch(/TEMP B-TREE/);
        }
      }
    });
  });
});
