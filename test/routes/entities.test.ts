import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WorkspaceObject } from "../../src/workspace/object";
import { storedEvents } from "../support/events";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";

const T0 = "2026-07-15T00:00:00.000Z";
const GRACE_END = "2026-07-16T00:00:00.000Z";
const AFTER_GRACE = "2026-07-16T00:00:00.000Z";

/** Base with small per-seat figures so limits are reached in a few calls: 4 leads, 6 contacts+companies. */
async function workspace(
  seats = 2,
  overrides = { leadsPerSeat: 2, contactsAndCompaniesPerSeat: 3 },
) {
  const ws = freshWorkspace("ent");
  await setClock(ws, T0);
  const sub = await subscribe(ws, { plan: "base", seats, periodAnchor: T0, overrides });
  expect(sub.status).toBe(200);
  return ws;
}

const create = (ws: string, kind: string, id: string, headers: Record<string, string> = {}) =>
  call("POST", `${api(ws)}/entities/${kind}`, { role: "service", body: { id }, headers });
const close = (ws: string, id: string, outcome = "won") =>
  call("POST", `${api(ws)}/entities/leads/${id}/close`, { role: "service", body: { outcome } });
const reopen = (ws: string, id: string) =>
  call("POST", `${api(ws)}/entities/leads/${id}/reopen`, { role: "service" });
const remove = (ws: string, kind: string, id: string) =>
  call("DELETE", `${api(ws)}/entities/${kind}/${id}`, { role: "service" });
const read = (ws: string, kind: string, id: string) =>
  call("GET", `${api(ws)}/entities/${kind}/${id}`, { role: "viewer" });
const usage = async (ws: string) =>
  (await call("GET", `${api(ws)}/usage`, { role: "viewer" })).json;
const statuses = async (ws: string, kind: string, ids: string[]) =>
  Promise.all(ids.map(async (id) => (await read(ws, kind, id)).json.status));

const types = async (ws: string) => (await storedEvents(ws)).map((e) => e.type);

/** Creates leads L1..Ln and answers the last answer. */
async function leads(ws: string, from: number, to: number) {
  let last: Awaited<ReturnType<typeof create>> | undefined;
  for (let n = from; n <= to; n++) last = await create(ws, "leads", `L${n}`);
  return last;
}

/** 4 active leads (L1-L4), grace over, L5 and L6 blocked. */
async function enforcedWithTwoBlocked() {
  const ws = await workspace();
  await leads(ws, 1, 4);
  await setClock(ws, AFTER_GRACE);
  await leads(ws, 5, 6);
  expect((await usage(ws)).leads).toEqual({
    used: 4,
    limit: 4,
    blocked: 2,
    state: "enforced",
    graceEndsAt: GRACE_END,
  });
  return ws;
}

describe("creating leads, contacts and companies", () => {
  it("records an active, counted entity and answers its limit", async () => {
    const ws = await workspace();
    const r = await create(ws, "leads", "L1");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      kind: "leads",
      id: "L1",
      status: "active",
      accessible: true,
      outcome: null,
      updatedAt: T0,
      changed: true,
      usage: { used: 1, limit: 4, blocked: 0, state: "ok", graceEndsAt: null },
    });
    expect((await read(ws, "leads", "L1")).json).toEqual({
      kind: "leads",
      id: "L1",
      status: "active",
      accessible: true,
      outcome: null,
      updatedAt: T0,
    });
  });

  it("answers a repeated create with the existing status and counts it once", async () => {
    const ws = await workspace();
    await create(ws, "contacts", "C1");
    const again = await create(ws, "contacts", "C1");
    expect(again.json.changed).toBe(false);
    expect(again.json.status).toBe("active");
    expect(again.json.usage.used).toBe(1);
    expect((await usage(ws)).contactsAndCompanies.used).toBe(1);
  });

  it("starts a 24-hour grace with the create that reaches the limit; that entity is active", async () => {
    const ws = await workspace();
    const third = await leads(ws, 1, 3);
    expect(third?.json.grace).toBeUndefined();
    const fourth = await create(ws, "leads", "L4");
    expect(fourth.json).toMatchObject({
      status: "active",
      accessible: true,
      grace: { endsAt: GRACE_END },
      usage: { used: 4, limit: 4, blocked: 0, state: "grace", graceEndsAt: GRACE_END },
    });
    const evs = await storedEvents(ws);
    expect(evs).toEqual([
      {
        type: "limit.reached",
        occurredAt: T0,
        data: {
          limit: "leads",
          used: 4,
          max: 4,
          blocked: 0,
          kind: "leads",
          id: "L4",
          graceEndsAt: GRACE_END,
        },
      },
    ]);
  });

  it("keeps new entities active and counted during the grace", async () => {
    const ws = await workspace();
    await leads(ws, 1, 4);
    await setClock(ws, "2026-07-15T23:59:59.999Z");
    const during = await create(ws, "leads", "L5");
    expect(during.json).toMatchObject({
      status: "active",
      grace: { endsAt: GRACE_END },
      usage: { used: 5, blocked: 0, state: "grace" },
    });
    expect(await types(ws)).toEqual(["limit.reached"]);
  });

  it("enforces at the grace end: the newest beyond the limit is blocked, then every new one", async () => {
    const ws = await workspace();
    await leads(ws, 1, 5);
    await setClock(ws, AFTER_GRACE);
    // L5, created during the grace, is beyond the limit of 4: blocked at the grace end.
    expect((await usage(ws)).leads).toMatchObject({ used: 4, blocked: 1, state: "enforced" });
    expect((await read(ws, "leads", "L5")).json).toMatchObject({
      status: "blocked",
      accessible: false,
      updatedAt: GRACE_END,
    });
    const first = await create(ws, "leads", "L6");
    expect(first.json).toMatchObject({
      status: "blocked",
      accessible: false,
      changed: true,
      usage: { used: 4, limit: 4, blocked: 2, state: "enforced", graceEndsAt: GRACE_END },
    });
    expect(first.json.grace).toBeUndefined();
    expect((await read(ws, "leads", "L6")).json).toMatchObject({
      status: "blocked",
      accessible: false,
    });
    const evs = await storedEvents(ws);
    expect(evs.map((e) => [e.type, e.data.id])).toEqual([
      ["limit.reached", "L4"],
      ["limit.enforced", undefined],
      ["entity.blocked", "L5"],
      ["entity.blocked", "L6"],
    ]);
    expect(evs[1]).toEqual({
      type: "limit.enforced",
      occurredAt: GRACE_END,
      data: { limit: "leads", used: 4, max: 4, blocked: 1, graceEndedAt: GRACE_END },
    });
    expect(evs[2]).toEqual({
      type: "entity.blocked",
      occurredAt: GRACE_END,
      data: { kind: "leads", id: "L5", limit: "leads", used: 4, max: 4 },
    });
    expect(evs[3]?.data).toEqual({ kind: "leads", id: "L6", limit: "leads", used: 4, max: 4 });
    // A repeated create of a blocked lead stays blocked and is counted once.
    const again = await create(ws, "leads", "L6");
    expect(again.json).toMatchObject({ status: "blocked", changed: false, usage: { blocked: 2 } });
  });

  it("lets contacts and companies share one limit, apart from leads", async () => {
    const ws = await workspace();
    for (const [kind, id] of [
      ["contacts", "C1"],
      ["companies", "Co1"],
      ["contacts", "C2"],
      ["companies", "Co2"],
      ["contacts", "C3"],
    ]) {
      await create(ws, kind as string, id as string);
    }
    const sixth = await create(ws, "companies", "Co3");
    expect(sixth.json.usage).toEqual({
      used: 6,
      limit: 6,
      blocked: 0,
      state: "grace",
      graceEndsAt: GRACE_END,
    });
    // The same id under another kind is another entity.
    expect((await create(ws, "contacts", "Co3")).json.changed).toBe(true);
    expect((await usage(ws)).leads).toEqual({
      used: 0,
      limit: 4,
      blocked: 0,
      state: "ok",
      graceEndsAt: null,
    });
    await setClock(ws, AFTER_GRACE);
    // The contact Co3, the newest, was the 7th on a shared limit of 6: blocked at the grace end.
    expect((await read(ws, "contacts", "Co3")).json.status).toBe("blocked");
    expect((await read(ws, "companies", "Co3")).json.status).toBe("active");
    expect((await create(ws, "contacts", "C9")).json.status).toBe("blocked");
    expect((await create(ws, "leads", "L1")).json.status).toBe("active");
    expect((await storedEvents(ws)).map((e) => [e.type, e.data.limit, e.data.kind])).toEqual([
      ["limit.reached", "contactsAndCompanies", "companies"],
      ["limit.enforced", "contactsAndCompanies", undefined],
      ["entity.blocked", "contactsAndCompanies", "contacts"],
      ["entity.blocked", "contactsAndCompanies", "contacts"],
    ]);
  });
});

describe("freeing capacity", () => {
  it("gives a slot freed by a close to the oldest blocked lead, and ends the episode below the limit", async () => {
    const ws = await enforcedWithTwoBlocked();
    const closed = await close(ws, "L1", "won");
    expect(closed.json).toMatchObject({
      id: "L1",
      status: "closed",
      outcome: "won",
      accessible: true,
      changed: true,
      usage: { used: 4, blocked: 1, state: "enforced" },
    });
    expect(await statuses(ws, "leads", ["L5", "L6"])).toEqual(["active", "blocked"]);
    await close(ws, "L2", "lost");
    expect(await statuses(ws, "leads", ["L5", "L6"])).toEqual(["active", "active"]);
    const third = await close(ws, "L3");
    expect(third.json.usage).toEqual({
      used: 3,
      limit: 4,
      blocked: 0,
      state: "ok",
      graceEndsAt: null,
    });
    expect((await storedEvents(ws)).map((e) => [e.type, e.data.id])).toEqual([
      ["limit.reached", "L4"],
      ["limit.enforced", undefined],
      ["entity.blocked", "L5"],
      ["entity.blocked", "L6"],
      ["entity.unblocked", "L5"],
      ["entity.unblocked", "L6"],
      ["limit.resolved", undefined],
    ]);
    // The episode ended because the count went down, 4 days ago: no grace twice in a row.
    // The next reach keeps the old grace end, long past, so it is enforced at once.
    await setClock(ws, "2026-07-20T00:00:00.000Z");
    const reach = await create(ws, "leads", "L7");
    expect(reach.json).toMatchObject({
      status: "active",
      usage: { used: 4, limit: 4, blocked: 0, state: "enforced", graceEndsAt: GRACE_END },
    });
    expect(reach.json.grace).toBeUndefined();
    expect((await create(ws, "leads", "L8")).json.status).toBe("blocked");
    expect((await storedEvents(ws)).slice(-3)).toEqual([
      {
        type: "limit.reached",
        occurredAt: "2026-07-20T00:00:00.000Z",
        data: {
          limit: "leads",
          used: 4,
          max: 4,
          blocked: 0,
          kind: "leads",
          id: "L7",
          graceEndsAt: GRACE_END,
          graceCarriedOver: true,
        },
      },
      {
        type: "limit.enforced",
        occurredAt: "2026-07-20T00:00:00.000Z",
        data: {
          limit: "leads",
          used: 4,
          max: 4,
          blocked: 0,
          kind: "leads",
          id: "L7",
          graceEndedAt: GRACE_END,
        },
      },
      {
        type: "entity.blocked",
        occurredAt: "2026-07-20T00:00:00.000Z",
        data: { kind: "leads", id: "L8", limit: "leads", used: 4, max: 4 },
      },
    ]);
  });

  it("gives a fresh 24 hours to an episode that starts 7 days or more after the last ended", async () => {
    const ws = await enforcedWithTwoBlocked();
    for (const id of ["L1", "L2", "L3"]) await close(ws, id);
    expect((await usage(ws)).leads).toMatchObject({ used: 3, state: "ok" });
    // Ended by the closes at AFTER_GRACE (2026-07-16); exactly a week later the memory is gone.
    await setClock(ws, "2026-07-23T00:00:00.000Z");
    const reach = await create(ws, "leads", "L7");
    expect(reach.json).toMatchObject({
      status: "active",
      grace: { endsAt: "2026-07-24T00:00:00.000Z" },
      usage: { used: 4, state: "grace" },
    });
    expect((await storedEvents(ws)).at(-1)?.data.graceCarriedOver).toBeUndefined();
  });

  it("counts the week from the last ending: one a millisecond short of it passes its grace end on", async () => {
    const ws = await enforcedWithTwoBlocked();
    for (const id of ["L1", "L2", "L3"]) await close(ws, id);
    await setClock(ws, "2026-07-21T23:59:59.999Z");
    const reach = await create(ws, "leads", "L7");
    expect(reach.json.usage).toMatchObject({ used: 4, state: "enforced", graceEndsAt: GRACE_END });
  });

  it("unblocks oldest first when a seat is added during enforcement", async () => {
    const ws = await workspace(1, { leadsPerSeat: 3, contactsAndCompaniesPerSeat: 3 });
    await leads(ws, 1, 3);
    await setClock(ws, AFTER_GRACE);
    await leads(ws, 4, 8);
    expect((await usage(ws)).leads).toMatchObject({ used: 3, limit: 3, blocked: 5 });
    const seats = (n: number) =>
      subscribe(ws, {
        plan: "base",
        seats: n,
        periodAnchor: T0,
        overrides: { leadsPerSeat: 3, contactsAndCompaniesPerSeat: 3 },
      });
    await seats(2);
    expect((await usage(ws)).leads).toEqual({
      used: 6,
      limit: 6,
      blocked: 2,
      state: "enforced",
      graceEndsAt: GRACE_END,
    });
    expect(await statuses(ws, "leads", ["L4", "L5", "L6", "L7", "L8"])).toEqual([
      "active",
      "active",
      "active",
      "blocked",
      "blocked",
    ]);
    await seats(3);
    expect((await usage(ws)).leads).toEqual({
      used: 8,
      limit: 9,
      blocked: 0,
      state: "ok",
      graceEndsAt: null,
    });
    expect((await types(ws)).slice(-3)).toEqual([
      "entity.unblocked",
      "entity.unblocked",
      "limit.resolved",
    ]);
    // The episode is over, but it ended less than 7 days ago: a raised limit leaves its grace
    // end too, so the next reach is enforced at once (docs/rules.md, "No grace twice in a row").
    expect((await create(ws, "leads", "L9")).json).toMatchObject({
      status: "active",
      usage: { state: "enforced", graceEndsAt: GRACE_END },
    });
  });

  it("frees capacity by deleting, and dequeues a deleted blocked entity", async () => {
    const ws = await enforcedWithTwoBlocked();
    const gone = await remove(ws, "leads", "L6");
    expect(gone.json).toEqual({
      kind: "leads",
      id: "L6",
      deleted: true,
      usage: { used: 4, limit: 4, blocked: 1, state: "enforced", graceEndsAt: GRACE_END },
    });
    expect((await read(ws, "leads", "L6")).status).toBe(404);
    const active = await remove(ws, "leads", "L1");
    expect(active.json.usage).toMatchObject({ used: 4, blocked: 0, state: "enforced" });
    expect(await statuses(ws, "leads", ["L5"])).toEqual(["active"]);
    expect((await remove(ws, "leads", "L2")).json.usage).toMatchObject({ used: 3, state: "ok" });
  });
});

describe("closing and reopening leads", () => {
  it("blocks a lead reopened under enforcement, and unblocks it when a slot frees", async () => {
    const ws = await workspace();
    await leads(ws, 1, 5);
    await close(ws, "L5", "lost");
    await setClock(ws, AFTER_GRACE);
    const reopened = await reopen(ws, "L5");
    expect(reopened.json).toMatchObject({
      id: "L5",
      status: "blocked",
      accessible: false,
      outcome: null,
      changed: true,
      usage: { used: 4, blocked: 1, state: "enforced" },
    });
    expect((await types(ws)).slice(-1)).toEqual(["entity.blocked"]);
    // Reopening it again is refused: a blocked lead's stage cannot change.
    const again = await reopen(ws, "L5");
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("entity_blocked");
    // Reopening an active lead changes nothing.
    expect((await reopen(ws, "L1")).json).toMatchObject({ status: "active", changed: false });
    await close(ws, "L1");
    expect((await read(ws, "leads", "L5")).json).toMatchObject({
      status: "active",
      accessible: true,
    });
  });

  it("admits a reopened lead like a create: it may reach the limit, with no fresh grace", async () => {
    const ws = await workspace();
    await leads(ws, 1, 4);
    await close(ws, "L4");
    expect((await usage(ws)).leads).toMatchObject({ used: 3, state: "ok" });
    await setClock(ws, "2026-07-15T06:00:00.000Z");
    const back = await reopen(ws, "L4");
    // Closing and reopening buys no new 24 hours: the grace ends when the first one would have.
    expect(back.json).toMatchObject({
      status: "active",
      changed: true,
      grace: { endsAt: GRACE_END },
    });
    expect(await types(ws)).toEqual(["limit.reached", "limit.resolved", "limit.reached"]);
  });

  it("refuses to close or reopen a blocked lead with 409 entity_blocked, changing nothing", async () => {
    const ws = await enforcedWithTwoBlocked();
    const before = await storedEvents(ws);
    for (const r of [await close(ws, "L6", "lost"), await reopen(ws, "L6")]) {
      expect(r.status).toBe(409);
      expect(r.json.error.code).toBe("entity_blocked");
      expect(r.json.error.message).toMatch(/L6/);
    }
    expect((await read(ws, "leads", "L6")).json).toMatchObject({
      status: "blocked",
      outcome: null,
    });
    expect((await usage(ws)).leads).toMatchObject({ used: 4, blocked: 2 });
    expect(await storedEvents(ws)).toEqual(before);
    // Once a place frees it is unblocked, and then it can be closed.
    await close(ws, "L1");
    await close(ws, "L2");
    expect((await close(ws, "L6", "won")).json).toMatchObject({ status: "closed", outcome: "won" });
  });

  it("deletes a blocked lead", async () => {
    const ws = await enforcedWithTwoBlocked();
    expect((await remove(ws, "leads", "L5")).json.usage).toMatchObject({ used: 4, blocked: 1 });
    expect((await read(ws, "leads", "L5")).status).toBe(404);
  });
});

describe("errors and access", () => {
  it("answers 404 for an unknown id on close, reopen, delete and read", async () => {
    const ws = await workspace();
    for (const r of [
      await close(ws, "nope"),
      await reopen(ws, "nope"),
      await remove(ws, "contacts", "nope"),
      await read(ws, "companies", "nope"),
    ]) {
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("not_found");
    }
    // A lead's id is not a contact's.
    await create(ws, "leads", "X");
    expect((await read(ws, "contacts", "X")).status).toBe(404);
  });

  it("answers 400 naming the field for a bad outcome, kind or id, and changes nothing", async () => {
    const ws = await workspace();
    await create(ws, "leads", "L1");
    const outcome = await close(ws, "L1", "maybe");
    expect(outcome.status).toBe(400);
    expect(outcome.json.error.details.map((d: { path: string }) => d.path)).toEqual(["outcome"]);
    const kind = await create(ws, "deals", "D1");
    expect(kind.status).toBe(400);
    expect(kind.json.error.details.map((d: { path: string }) => d.path)).toEqual(["kind"]);
    expect((await read(ws, "deals", "D1")).json.error.details[0].path).toBe("kind");
    const id = await call("POST", `${api(ws)}/entities/leads`, {
      role: "service",
      body: { id: "" },
    });
    expect(id.json.error.details[0].path).toBe("id");
    const extra = await call("POST", `${api(ws)}/entities/leads`, {
      role: "service",
      body: { id: "L2", stage: "won" },
    });
    expect(extra.json.error.details[0].path).toBe("stage");
    expect((await read(ws, "leads", "L1")).json.status).toBe("active");
    expect((await usage(ws)).leads.used).toBe(1);
  });

  it("has no close for contacts or companies", async () => {
    const ws = await workspace();
    await create(ws, "contacts", "C1");
    const r = await call("POST", `${api(ws)}/entities/contacts/C1/close`, {
      role: "service",
      body: { outcome: "won" },
    });
    expect(r.status).toBe(404);
  });

  it("lets services and the platform write, and every role read", async () => {
    const ws = await workspace();
    for (const role of ["viewer", "admin"] as const) {
      const r = await call("POST", `${api(ws)}/entities/leads`, { role, body: { id: "L1" } });
      expect(r.status).toBe(403);
    }
    const platform = await call("POST", `${api(ws)}/entities/leads`, { body: { id: "L1" } });
    expect(platform.status).toBe(200);
    for (const role of ["viewer", "admin", "service", "platform"] as const) {
      const r = await call("GET", `${api(ws)}/entities/leads/L1`, { role });
      expect(r.json.status).toBe("active");
    }
  });

  it("answers 404 in a workspace without a subscription", async () => {
    const ws = freshWorkspace("ent");
    const r = await create(ws, "leads", "L1");
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
  });

  it("replays a create with an Idempotency-Key and counts it once", async () => {
    const ws = await workspace();
    const first = await create(ws, "leads", "L1", { "idempotency-key": "k" });
    const replay = await create(ws, "leads", "L1", { "idempotency-key": "k" });
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await create(ws, "leads", "L2", { "idempotency-key": "k" })).status).toBe(409);
    expect((await usage(ws)).leads.used).toBe(1);
  });

  it("accepts ids with URL-special characters in paths when encoded", async () => {
    const ws = await workspace();
    const id = "lead/42?x=1#y%";
    await create(ws, "leads", id);
    const r = await read(ws, "leads", encodeURIComponent(id));
    expect(r.status).toBe(200);
    expect(r.json.id).toBe(id);
  });
});

describe("the seed example: Base, 2 seats", () => {
  /** Fills inside the object through the same create path the routes use. */
  async function fill(
    ws: string,
    kinds: readonly ("leads" | "contacts" | "companies")[],
    count: number,
  ) {
    await runInDurableObject(env.WORKSPACE.getByName(ws), async (instance: WorkspaceObject) => {
      for (let n = 0; n < count; n++) {
        const kind = kinds[n % kinds.length] ?? "leads";
        const r = await instance.createEntity(kind, `${kind}-${n}`, { role: "service" });
        if (!r.ok || r.value.status !== "active") throw new Error(`fill failed at ${n}`);
      }
    });
  }

  it("allows 5,000 leads and 25,000 contacts and companies, then grace, then blocking", {
    timeout: 120_000,
  }, async () => {
    const ws = freshWorkspace("seed");
    await setClock(ws, T0);
    await subscribe(ws, { plan: "base", seats: 2, periodAnchor: T0 });
    const limits = await usage(ws);
    expect([limits.leads.limit, limits.contactsAndCompanies.limit]).toEqual([5_000, 25_000]);

    await fill(ws, ["leads"], 4_999);
    expect((await usage(ws)).leads).toMatchObject({ used: 4_999, state: "ok" });
    const reach = await create(ws, "leads", "the-5000th");
    expect(reach.json).toMatchObject({
      status: "active",
      grace: { endsAt: GRACE_END },
      usage: { used: 5_000, limit: 5_000, state: "grace" },
    });

    await fill(ws, ["contacts", "companies"], 24_999);
    expect((await create(ws, "companies", "the-25000th")).json).toMatchObject({
      status: "active",
      usage: { used: 25_000, limit: 25_000, state: "grace", graceEndsAt: GRACE_END },
    });

    expect((await create(ws, "leads", "in-grace")).json).toMatchObject({
      status: "active",
      usage: { used: 5_001 },
    });
    await setClock(ws, AFTER_GRACE);
    // The lead created during the grace beyond the limit is blocked when it ends.
    expect((await read(ws, "leads", "in-grace")).json.status).toBe("blocked");
    expect((await create(ws, "leads", "after-grace")).json).toMatchObject({
      status: "blocked",
      accessible: false,
      usage: { used: 5_000, blocked: 2, state: "enforced" },
    });
    expect((await create(ws, "contacts", "after-grace")).json).toMatchObject({
      status: "blocked",
      usage: { used: 25_000, blocked: 1, state: "enforced" },
    });
    // A third seat: 7,500 leads and 37,500 contacts and companies; both episodes end.
    await subscribe(ws, { plan: "base", seats: 3, periodAnchor: T0 });
    const after = await usage(ws);
    expect(after.leads).toEqual({
      used: 5_002,
      limit: 7_500,
      blocked: 0,
      state: "ok",
      graceEndsAt: null,
    });
    expect(after.contactsAndCompanies).toEqual({
      used: 25_001,
      limit: 37_500,
      blocked: 0,
      state: "ok",
      graceEndsAt: null,
    });
  });
});
