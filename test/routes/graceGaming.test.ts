import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/policy/time";
import type { WorkspaceObject } from "../../src/workspace/object";
import { type StoredEvent, storedEvents } from "../support/events";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";
import type { ListedChannel } from "../support/schemas";

/**
 * "No grace twice in a row" and enforcement after a grace, driven the way a workspace trying to
 * avoid its limits would: through the HTTP routes, on a test clock. The rules:
 * docs/rules.md, "No grace twice in a row", "Leads, contacts and companies",
 * "WhatsApp numbers and Instagram accounts".
 */

const T0 = "2026-07-01T00:00:00.000Z";
const at = (ms: number) => new Date(ms).toISOString();

const usage = async (ws: string) =>
  (await call("GET", `${api(ws)}/usage`, { role: "viewer" })).json;

/** Each entity's status as the API answers it (read inside the object: many ids, one hop). */
const statusesOf = (ws: string, ids: string[]) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (instance: WorkspaceObject) =>
    Promise.all(
      ids.map(async (id) => {
        const r = await instance.getEntity("leads", id);
        return r.ok ? r.value.status : "missing";
      }),
    ),
  );

/**
 * Events stay exactly once: per limit, episodes follow reached → (enforced)? → (resolved)?, and
 * (channels only) a new reached may follow an enforcement; an entity is blocked and unblocked
 * alternately, never twice in a row.
 */
function expectEpisodesWellFormed(all: StoredEvent<{ ms: true }>[]) {
  const phase = new Map<string, string>();
  const entity = new Map<string, string>();
  for (const e of all) {
    if (e.type.startsWith("limit.")) {
      const name = String(e.data.limit);
      const before = phase.get(name) ?? "ok";
      const channel = name === "whatsapp" || name === "instagram";
      const allowed: Record<string, string[]> = {
        "limit.reached": channel ? ["ok", "enforced"] : ["ok"],
        "limit.enforced": ["reached"],
        "limit.resolved": ["reached", "enforced"],
      };
      expect(allowed[e.type], `${e.type} after ${before} (${name})`).toContain(before);
      phase.set(name, e.type === "limit.resolved" ? "ok" : e.type.slice(6));
    }
    if (e.type === "entity.blocked" || e.type === "entity.unblocked") {
      const key = `${e.data.kind}/${e.data.id}`;
      expect(entity.get(key), `${e.type} twice for ${key}`).not.toBe(e.type);
      entity.set(key, e.type);
    }
  }
}

describe("disconnecting and reconnecting a number before each grace end", () => {
  it("keeps no 4th number on a 3-number limit for 30 days: it gets disabled", {
    timeout: 120_000,
  }, async () => {
    const ws = freshWorkspace("gaming");
    let now = Date.parse(T0);
    await setClock(ws, T0);
    // Advanced with one seat: 3 WhatsApp numbers.
    await subscribe(ws, { plan: "advanced", seats: 1, periodAnchor: T0 });
    const connect = (id: string) =>
      call("POST", `${api(ws)}/channels/whatsapp`, { role: "service", body: { id } });
    const disconnect = (id: string) =>
      call("DELETE", `${api(ws)}/channels/whatsapp/${id}`, { role: "service" });
    const numbers = ["n1", "n2", "n3", "n4"];
    for (const id of numbers) await connect(id);
    const first = await usage(ws);
    expect(first.whatsapp).toMatchObject({ used: 4, limit: 3, state: "grace" });
    const firstGraceEnd = Date.parse(first.whatsapp.graceEndsAt);

    const end = now + 30 * DAY_MS;
    let steps = 0;
    while (now < end) {
      steps++;
      const u = (await usage(ws)).whatsapp;
      if (now >= firstGraceEnd) {
        // After the first grace, never more numbers working than the limit.
        expect(u.used, `at ${at(now)}`).toBeLessThanOrEqual(3);
        expect(u.state, `at ${at(now)}`).not.toBe("grace");
      }
      const target = u.state === "grace" ? Date.parse(u.graceEndsAt) - MINUTE_MS : 0;
      if (target > now) {
        // A minute before the grace ends: drop a number and connect it again.
        now = target;
        await setClock(ws, at(now));
        await disconnect("n4");
        await connect("n4");
      } else {
        now += 6 * HOUR_MS;
        await setClock(ws, at(now));
        // Whatever was disabled is connected again at once.
        const list = await call("GET", `${api(ws)}/channels/whatsapp`, { role: "viewer" });
        for (const c of list.json.channels as ListedChannel[]) {
          if (c.status === "disabled") await connect(c.id);
        }
      }
    }
    expect(steps).toBeGreaterThan(100);
    const all = await storedEvents(ws, { ms: true });
    expect(all.filter((e) => e.type === "channel.disabled").length).toBeGreaterThan(0);
    expectEpisodesWellFormed(all);
    // Only the first episode had a grace of its own: every later one inherited a past end.
    const reached = all.filter((e) => e.type === "limit.reached");
    expect(reached.length).toBeGreaterThan(1);
    for (const e of reached.slice(1)) expect(e.data.graceCarriedOver).toBe(true);
  });
});

describe("closing and reopening leads before each grace end", () => {
  it("keeps no 11th lead accessible on a limit of 10 for 30 days", {
    timeout: 120_000,
  }, async () => {
    const ws = freshWorkspace("gaming");
    let now = Date.parse(T0);
    await setClock(ws, T0);
    await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: T0,
      overrides: { leadsPerSeat: 10 },
    });
    const lead = (op: "close" | "reopen", id: string) =>
      call("POST", `${api(ws)}/entities/leads/${id}/${op}`, {
        role: "service",
        ...(op === "close" && { body: { outcome: "lost" } }),
      });
    const ids = Array.from({ length: 11 }, (_, n) => `L${n + 1}`);
    for (const id of ids) {
      await call("POST", `${api(ws)}/entities/leads`, { role: "service", body: { id } });
    }
    const first = await usage(ws);
    expect(first.leads).toMatchObject({ used: 11, limit: 10, state: "grace" });
    const firstGraceEnd = Date.parse(first.leads.graceEndsAt);
    const accessibleOpen = async () =>
      (await statusesOf(ws, ids)).filter((status) => status === "active").length;

    const end = now + 30 * DAY_MS;
    let refused = 0;
    while (now < end) {
      const u = (await usage(ws)).leads;
      if (now >= firstGraceEnd) {
        expect(u.used, `at ${at(now)}`).toBeLessThanOrEqual(10);
        expect(await accessibleOpen(), `at ${at(now)}`).toBeLessThanOrEqual(10);
      }
      const target = u.state === "grace" ? Date.parse(u.graceEndsAt) - MINUTE_MS : 0;
      if (target > now) {
        now = target;
        await setClock(ws, at(now));
        // Below the limit for a moment (9 open), then back to 11.
        for (const id of ["L1", "L2"]) expect((await lead("close", id)).status).toBe(200);
        for (const id of ["L1", "L2"]) expect((await lead("reopen", id)).status).toBe(200);
      } else {
        now += 6 * HOUR_MS;
        await setClock(ws, at(now));
        // Try to close or reopen whatever is blocked now, and cycle two active leads.
        const statuses = await statusesOf(ws, ids);
        for (const [n, id] of ids.entries()) {
          if (statuses[n] !== "blocked") continue;
          for (const r of [await lead("close", id), await lead("reopen", id)]) {
            expect(r.status).toBe(409);
            expect(r.json.error.code).toBe("entity_blocked");
            refused++;
          }
        }
        for (const id of ["L1", "L2"]) {
          expect((await lead("close", id)).status).toBe(200);
          expect((await lead("reopen", id)).status).toBe(200);
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    const all = await storedEvents(ws, { ms: true });
    expect(all.filter((e) => e.type === "entity.blocked").length).toBeGreaterThan(0);
    expectEpisodesWellFormed(all);
  });
});

describe("a flood of leads during a grace", () => {
  it("200 leads on a limit of 10: the 190 newest are blocked when the grace ends", {
    timeout: 120_000,
  }, async () => {
    const ws = freshWorkspace("flood");
    await setClock(ws, T0);
    await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: T0,
      overrides: { leadsPerSeat: 10 },
    });
    const ids = Array.from({ length: 200 }, (_, n) => `F${n}`);
    for (const id of ids) {
      await call("POST", `${api(ws)}/entities/leads`, { role: "service", body: { id } });
    }
    const during = (await usage(ws)).leads;
    expect(during).toMatchObject({ used: 200, limit: 10, state: "grace" });
    const graceEnd = during.graceEndsAt;
    await setClock(ws, graceEnd);
    expect((await usage(ws)).leads).toEqual({
      used: 10,
      limit: 10,
      blocked: 190,
      state: "enforced",
      graceEndsAt: graceEnd,
    });
    const statuses = await statusesOf(ws, ids);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill("active"));
    expect(statuses.slice(10)).toEqual(Array(190).fill("blocked"));
    const all = await storedEvents(ws, { ms: true });
    expect(all.map((e) => e.type).filter((t) => t.startsWith("limit."))).toEqual([
      "limit.reached",
      "limit.enforced",
    ]);
    const blocked = all.filter((e) => e.type === "entity.blocked");
    // One each, newest first, dated at the grace end.
    expect(blocked.map((e) => e.data.id)).toEqual(ids.slice(10).reverse());
    expect(new Set(blocked.map((e) => e.occurredAt))).toEqual(new Set([Date.parse(graceEnd)]));
    // A second pass of due work changes nothing.
    await env.WORKSPACE.getByName(ws).runDueWork();
    expect((await storedEvents(ws, { ms: true })).length).toBe(all.length);
  });
});

describe("raising the seats for a moment before each grace end", () => {
  it("keeps no 4th number on a 3-number limit for 30 days: seats 1 → 4 → 1 buy nothing", {
    timeout: 120_000,
  }, async () => {
    const ws = freshWorkspace("seats");
    let now = Date.parse(T0);
    await setClock(ws, T0);
    const plan = (seats: number) => subscribe(ws, { plan: "advanced", seats, periodAnchor: T0 });
    await plan(1);
    const connect = (id: string) =>
      call("POST", `${api(ws)}/channels/whatsapp`, { role: "service", body: { id } });
    for (const id of ["n1", "n2", "n3", "n4"]) await connect(id);
    const first = (await usage(ws)).whatsapp;
    expect(first).toMatchObject({ used: 4, limit: 3, state: "grace" });
    const firstGraceEnd = Date.parse(first.graceEndsAt);
    let working = 0;
    const end = now + 30 * DAY_MS;
    while (now < end) {
      const u = (await usage(ws)).whatsapp;
      if (now >= firstGraceEnd) {
        expect(u.used, `at ${at(now)}`).toBeLessThanOrEqual(3);
        expect(u.state, `at ${at(now)}`).not.toBe("grace");
      } else working += u.used > 3 ? 1 : 0;
      const target = u.state === "grace" ? Date.parse(u.graceEndsAt) - MINUTE_MS : 0;
      if (target > now) {
        // A minute before the grace ends: 4 seats (limit 4, resolved), a second later 1 again.
        now = target;
        await setClock(ws, at(now));
        await plan(4);
        expect((await usage(ws)).whatsapp).toMatchObject({ limit: 4, state: "ok" });
        now += 1_000;
        await setClock(ws, at(now));
        await plan(1);
      } else {
        now += 6 * HOUR_MS;
        await setClock(ws, at(now));
        const list = await call("GET", `${api(ws)}/channels/whatsapp`, { role: "viewer" });
        for (const c of list.json.channels as ListedChannel[]) {
          if (c.status === "disabled") await connect(c.id);
        }
      }
    }
    expect(working).toBeGreaterThan(0);
    const all = await storedEvents(ws, { ms: true });
    expect(all.filter((e) => e.type === "channel.disabled").length).toBeGreaterThan(0);
    expectEpisodesWellFormed(all);
    const reached = all.filter((e) => e.type === "limit.reached");
    expect(reached.length).toBeGreaterThan(1);
    for (const e of reached.slice(1)) expect(e.data.graceCarriedOver).toBe(true);
  });

  it("keeps the grace end for leads: seats back down after it means enforced at once", async () => {
    const ws = freshWorkspace("raised");
    await setClock(ws, T0);
    const plan = (seats: number) =>
      subscribe(ws, { plan: "base", seats, periodAnchor: T0, overrides: { leadsPerSeat: 2 } });
    await plan(1);
    for (const id of ["a", "b", "c"]) {
      await call("POST", `${api(ws)}/entities/leads`, { role: "service", body: { id } });
    }
    expect((await usage(ws)).leads).toMatchObject({ state: "grace" });
    await setClock(ws, at(Date.parse(T0) + 23 * HOUR_MS));
    await plan(2);
    expect((await usage(ws)).leads).toMatchObject({ used: 3, limit: 4, state: "ok" });
    await setClock(ws, at(Date.parse(T0) + 30 * HOUR_MS));
    await plan(1);
    expect((await usage(ws)).leads).toMatchObject({
      used: 2,
      blocked: 1,
      state: "enforced",
      graceEndsAt: at(Date.parse(T0) + DAY_MS),
    });
    expect(await statusesOf(ws, ["a", "b", "c"])).toEqual(["active", "active", "blocked"]);
  });

  it("keeps the grace end for channels: the same as a disconnect", async () => {
    const ws = freshWorkspace("raised");
    await setClock(ws, T0);
    const plan = (seats: number) => subscribe(ws, { plan: "base", seats, periodAnchor: T0 });
    await plan(1);
    const connect = (id: string) =>
      call("POST", `${api(ws)}/channels/instagram`, { role: "service", body: { id } });
    await connect("a");
    expect((await connect("b")).json.grace).toEqual({ endsAt: at(Date.parse(T0) + DAY_MS) });
    await setClock(ws, at(Date.parse(T0) + 23 * HOUR_MS));
    await plan(2);
    expect((await usage(ws)).instagram).toMatchObject({ state: "ok" });
    // Back to one seat within the old grace: the grace still ends when the first one would.
    await setClock(ws, at(Date.parse(T0) + 23 * HOUR_MS + MINUTE_MS));
    await plan(1);
    expect((await usage(ws)).instagram).toMatchObject({
      state: "grace",
      graceEndsAt: at(Date.parse(T0) + DAY_MS),
    });
    // Eight days after that episode ended, a new one gets a fresh 24 hours.
    await plan(2);
    const later = Date.parse(T0) + 23 * HOUR_MS + MINUTE_MS + 8 * DAY_MS;
    await setClock(ws, at(later));
    await plan(1);
    expect((await usage(ws)).instagram).toMatchObject({
      state: "grace",
      graceEndsAt: at(later + DAY_MS),
    });
  });
});
