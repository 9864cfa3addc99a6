import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PolicyEvent } from "../../src/policy/events";
import { DAY_MS } from "../../src/policy/time";
import { Store } from "../../src/storage";
import { recordEvents } from "../../src/workspace/events";
import { archivedFiles } from "../support/archive";
import { call, freshWorkspace, setClock, subscribe, token } from "../support/helpers";

const T0 = Date.UTC(2026, 6, 20);

/** Records events the way a domain does: in one transaction of the workspace's object. */
const record = (ws: string, events: PolicyEvent[], now: number) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
    state.storage.transactionSync(() => recordEvents(new Store(state.storage.sql), events, now)),
  );

const numbered = (from: number, count: number): PolicyEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    type: "credits.threshold",
    data: { percent: 80, n: from + i },
  }));

const feed = (ws: string, query = "", role: "viewer" | "platform" = "viewer") =>
  call("GET", `/v1/workspaces/${ws}/events${query}`, { role });

async function frozenWorkspace() {
  const ws = freshWorkspace("ev");
  await setClock(ws, new Date(T0).toISOString());
  await subscribe(ws);
  return ws;
}

describe("GET events", () => {
  it("answers an empty feed with a cursor to poll from", async () => {
    const ws = await frozenWorkspace();
    const r = await feed(ws);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ events: [], nextCursor: "0", hasMore: false });
  });

  it("shows each event with its shape and delivery state (no webhook here: disabled)", async () => {
    const ws = await frozenWorkspace();
    await record(
      ws,
      [
        {
          type: "limit.reached",
          data: { limit: "leads", graceEndsAt: "2026-07-21T00:00:00.000Z" },
        },
        { type: "limit.enforced", data: { limit: "leads" }, at: T0 - DAY_MS },
      ],
      T0,
    );
    const r = await feed(ws);
    expect(r.status).toBe(200);
    const delivery = {
      status: "disabled",
      attempts: 0,
      lastAttemptAt: null,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: null,
    };
    expect(r.json.events).toEqual([
      {
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        type: "limit.reached",
        workspaceId: ws,
        occurredAt: "2026-07-20T00:00:00.000Z",
        data: { limit: "leads", graceEndsAt: "2026-07-21T00:00:00.000Z" },
        delivery,
      },
      {
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        type: "limit.enforced",
        workspaceId: ws,
        // A lazily applied effect is dated when it logically happened.
        occurredAt: "2026-07-19T00:00:00.000Z",
        data: { limit: "leads" },
        delivery,
      },
    ]);
    expect(r.json.events[0].id).not.toBe(r.json.events[1].id);
    expect(r.json.hasMore).toBe(false);
  });

  it("paginates in order, at most 100 a page, with stable cursors", async () => {
    const ws = await frozenWorkspace();
    await record(ws, numbered(0, 150), T0);
    await record(ws, numbered(150, 100), T0 + 1);

    const first = await feed(ws);
    expect(first.json.events).toHaveLength(100);
    expect(first.json.hasMore).toBe(true);
    const second = await feed(ws, `?after=${first.json.nextCursor}`);
    expect(second.json.events).toHaveLength(100);
    expect(second.json.hasMore).toBe(true);
    const third = await feed(ws, `?after=${second.json.nextCursor}`);
    expect(third.json.events).toHaveLength(50);
    expect(third.json.hasMore).toBe(false);

    const all = [...first.json.events, ...second.json.events, ...third.json.events];
    expect(all.map((e) => e.data.n)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(new Set(all.map((e) => e.id)).size).toBe(250);

    // The same cursor answers the same page, also after new events were appended.
    await record(ws, numbered(250, 3), T0 + 2);
    const again = await feed(ws, `?after=${first.json.nextCursor}`);
    expect(again.json.events).toEqual(second.json.events);
    const tail = await feed(ws, `?after=${third.json.nextCursor}`);
    expect(tail.json.events.map((e: { data: { n: number } }) => e.data.n)).toEqual([250, 251, 252]);
    const idle = await feed(ws, `?after=${tail.json.nextCursor}`);
    expect(idle.json).toEqual({ events: [], nextCursor: tail.json.nextCursor, hasMore: false });

    const small = await feed(ws, "?limit=7&after=0");
    expect(small.json.events.map((e: { data: { n: number } }) => e.data.n)).toEqual([
      0, 1, 2, 3, 4, 5, 6,
    ]);
    const next = await feed(ws, `?limit=7&after=${small.json.nextCursor}`);
    expect(next.json.events[0].data.n).toBe(7);
  });

  it.each([
    ["after=abc", "after"],
    ["after=-1", "after"],
    ["after=01", "after"],
    ["after=1.5", "after"],
    [`after=${"9".repeat(16)}`, "after"],
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=ten", "limit"],
  ])("refuses %s with a 400 naming %s", async (query, path) => {
    const ws = await frozenWorkspace();
    const r = await feed(ws, `?${query}`);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  it("is readable by every role of the workspace, and by no other workspace", async () => {
    const ws = await frozenWorkspace();
    await record(ws, numbered(0, 1), T0);
    for (const role of ["platform", "admin", "service", "viewer"] as const) {
      const r = await call("GET", `/v1/workspaces/${ws}/events`, { role });
      expect(r.status).toBe(200);
      expect(r.json.events).toHaveLength(1);
    }
    const other = await call("GET", `/v1/workspaces/${ws}/events`, {
      token: await token("someone-else", "viewer"),
    });
    expect(other.status).toBe(403);
  });

  it("is 404 for a workspace without a subscription", async () => {
    const r = await feed(freshWorkspace("ev"));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
  });

  it("keeps events 90 days, then due work archives them a UTC day at a time", async () => {
    const ws = await frozenWorkspace();
    await record(ws, numbered(0, 2), T0);
    await record(ws, numbered(2, 1), T0 + DAY_MS);
    // Moving the clock 90 days also renews the credit pool; only the recorded events matter here.
    const recorded = async () =>
      ((await feed(ws)).json.events as { type: string; data: { n?: number } }[])
        .filter((e) => e.type !== "credits.reset")
        .map((e) => e.data.n);
    await setClock(ws, new Date(T0 + 90 * DAY_MS - 1).toISOString());
    expect(await recorded()).toEqual([0, 1, 2]);
    // Archived (issue #19) once their whole UTC day is 90 days old, then gone from the feed.
    const dayEnd = (Math.floor(T0 / DAY_MS) + 1) * DAY_MS;
    await setClock(ws, new Date(dayEnd + 90 * DAY_MS - 1).toISOString());
    expect(await recorded()).toEqual([0, 1, 2]);
    await setClock(ws, new Date(dayEnd + 90 * DAY_MS).toISOString());
    expect(await recorded()).toEqual([2]);
    const archived = await archivedFiles(ws, "events");
    expect(
      archived.flatMap((f) => f.rows as { data: { n?: number } }[]).map((e) => e.data.n),
    ).toContain(1);
  });
});
