import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/policy/time";
import { BLOCK_BATCH, LOOKUPS } from "../../src/workspace/entities";
import type { WorkspaceObject } from "../../src/workspace/object";
import { eventsIn } from "../support/events";
import {
  advanceTimeTo,
  freezeTime,
  freshWorkspace,
  setClock,
  settledAlarm,
  subscribe,
} from "../support/helpers";
import { service } from "../support/roles";

const T0 = "2026-07-15T00:00:00.000Z";

const plan = (seats: number, leadsPerSeat: number) => ({
  plan: "pro",
  seats,
  periodAnchor: T0,
  overrides: { leadsPerSeat, contactsAndCompaniesPerSeat: leadsPerSeat },
});

const eventTypes = (state: DurableObjectState) => eventsIn(state.storage.sql).map((e) => e.type);

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
      const queued = state.storage.sql
        .exec("SELECT seq FROM entities WHERE status = 'blocked'")
        .toArray();
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
      const blocking = sql.exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM entity_pools WHERE blocking IS NOT NULL",
      );
      expect(blocking.one().n).toBe(0);
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
        newestPending: ["contactsAndCompanies", 5, 10],
        nthNewestActive: ["leads", 5, 10],
        nthOldestActive: ["contactsAndCompanies", 5, 10],
        nthOldestPending: ["leads", 5, 10],
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

describe("enforcing a large excess in bounded batches", () => {
  freezeTime();
  // Enough that the calls below find blocks still to apply (each call applies up to three).
  const EXCESS = BLOCK_BATCH * 5 + 490;
  const LIMIT = 10;

  /** A pro workspace on a limit of 10 leads with 10 + EXCESS created during the grace. */
  async function flooded(clock: boolean) {
    const ws = freshWorkspace("flood");
    if (clock) await setClock(ws, T0);
    await subscribe(ws, plan(1, LIMIT));
    const stub = env.WORKSPACE.getByName(ws);
    await runInDurableObject(stub, async (instance: WorkspaceObject) => {
      for (let n = 0; n < LIMIT + EXCESS; n++) {
        const r = await instance.createEntity("leads", `F${n}`, service);
        if (!r.ok || r.value.status !== "active") throw new Error(`not active at ${n}`);
      }
    });
    return { ws, stub };
  }

  const stored = (stub: DurableObjectStub<WorkspaceObject>) =>
    runInDurableObject(stub, (_: WorkspaceObject, state) => {
      const sql = state.storage.sql;
      return {
        blockedRows: sql
          .exec<{ n: number }>("SELECT COUNT(*) AS n FROM entities WHERE status = 'blocked'")
          .one().n,
        blockedEvents: eventsIn(sql)
          .filter((e) => e.type === "entity.blocked")
          .map((e) => e.data.id as string),
        pending: sql
          .exec<{ blocking: string | null }>(
            "SELECT blocking FROM entity_pools WHERE pool = 'leads'",
          )
          .one().blocking,
      };
    });

  const status = async (stub: DurableObjectStub<WorkspaceObject>, id: string) => {
    const r = await stub.getEntity("leads", id);
    return r.ok ? r.value.status : "missing";
  };

  it("answers exactly from the grace end while at most one batch per call is applied", {
    timeout: 120_000,
  }, async () => {
    const { ws, stub } = await flooded(true);
    await setClock(ws, "2026-07-16T00:00:00.000Z");
    // Decided at once: the newest EXCESS leads are blocked ...
    const usage = await stub.usage();
    expect(usage.ok && usage.value.leads).toMatchObject({
      used: LIMIT,
      blocked: EXCESS,
      state: "enforced",
    });
    expect(await status(stub, `F${LIMIT - 1}`)).toBe("active");
    expect(await status(stub, `F${LIMIT}`)).toBe("blocked");
    expect(await status(stub, `F${LIMIT + EXCESS - 1}`)).toBe("blocked");
    // ... but stored one batch at a time, newest first (the test clock's due work ran one).
    const first = await stored(stub);
    expect(first.blockedRows).toBe(BLOCK_BATCH);
    expect(first.blockedEvents[0]).toBe(`F${LIMIT + EXCESS - 1}`);
    expect(first.pending).not.toBeNull();

    // A blocked lead not stored as blocked yet is refused like any other.
    const refused = await stub.closeLead(`F${LIMIT}`, "won", service);
    expect(refused).toMatchObject({ ok: false, error: { code: "entity_blocked" } });
    // A freed place goes to the oldest blocked lead: one whose block was never applied, so
    // no event announces it either way.
    const closed = await stub.closeLead("F0", "won", service);
    expect(closed.ok && closed.value.usage).toMatchObject({ used: LIMIT, blocked: EXCESS - 1 });
    expect(await status(stub, `F${LIMIT}`)).toBe("active");
    // Deleting one that is still to be stored as blocked.
    const deleted = await stub.deleteEntity("leads", `F${LIMIT + 1}`, service);
    expect(deleted.ok && deleted.value.usage).toMatchObject({ blocked: EXCESS - 2 });

    for (let run = 0; run < 5 && (await stored(stub)).pending !== null; run++) {
      await stub.runDueWork();
    }
    const done = await stored(stub);
    expect(done.pending).toBeNull();
    expect(done.blockedRows).toBe(EXCESS - 2);
    // Each blocked lead announced exactly once.
    expect(done.blockedEvents).toHaveLength(EXCESS - 2);
    expect(new Set(done.blockedEvents).size).toBe(EXCESS - 2);
    expect(done.blockedEvents).not.toContain(`F${LIMIT}`);
    expect(done.blockedEvents).not.toContain(`F${LIMIT + 1}`);
    const after = await stub.usage();
    expect(after.ok && after.value.leads).toMatchObject({ used: LIMIT, blocked: EXCESS - 2 });
  });

  it("is applied to the end by the alarm, batch after batch, with no traffic", {
    timeout: 120_000,
  }, async () => {
    const { ws, stub } = await flooded(false);
    const graceEndsAt = await settledAlarm(ws);
    if (graceEndsAt === null) throw new Error("no alarm at the grace end");
    // The grace lapses with no call arriving: only the alarm applies it.
    advanceTimeTo(graceEndsAt + HOUR_MS);
    // Each ring applies one batch and re-arms the alarm for now while blocks remain.
    let rings = 0;
    do {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      rings++;
    } while ((await stored(stub)).pending !== null && rings < 20);
    expect(rings).toBe(Math.ceil(EXCESS / BLOCK_BATCH));
    const done = await stored(stub);
    expect(done.pending).toBeNull();
    expect(done.blockedRows).toBe(EXCESS);
    expect(done.blockedEvents).toHaveLength(EXCESS);
  });
});
