import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cursorPayload, type Feed, formatCursor } from "../../src/policy/cursor";
import type { PolicyEvent } from "../../src/policy/events";
import { DAY_MS } from "../../src/policy/time";
import { Store } from "../../src/storage";
import { issueCursor } from "../../src/workspace/cursors";
import { recordEvents } from "../../src/workspace/events";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * Cursors of the event feed, the credit ledger and the channel lists are opaque and bound to
 * their feed and workspace (docs/rules.md, "Answers, errors and callers"). A cursor the feed never
 * issued, or one of another feed or workspace, is a 400 naming `after`, never a 200 with an
 * empty page a poller waits on forever.
 */
const T0 = Date.UTC(2026, 6, 20);

interface FeedUnderTest {
  feed: Feed;
  /** The page path (with `?` so queries append with `&`). */
  path: (ws: string) => string;
  /** Adds `n` items to the feed. */
  grow: (ws: string, n: number) => Promise<void>;
  /** Ids of a page's items, in order. */
  ids: (page: { [key: string]: unknown }) => unknown[];
}

let seq = 0;
const recordEventsIn = (ws: string, n: number) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
    state.storage.transactionSync(() =>
      recordEvents(
        new Store(state.storage.sql),
        Array.from(
          { length: n },
          (): PolicyEvent => ({ type: "credits.threshold", data: { percent: 80, n: seq++ } }),
        ),
        T0,
      ),
    ),
  );

const FEEDS: FeedUnderTest[] = [
  {
    feed: "events",
    path: (ws) => `/v1/workspaces/${ws}/events?limit=2`,
    grow: recordEventsIn,
    ids: (page) => (page.events as { id: string }[]).map((e) => e.id),
  },
  {
    feed: "ledger",
    path: (ws) => `/v1/workspaces/${ws}/credits/ledger?limit=2`,
    grow: async (ws, n) => {
      for (let i = 0; i < n; i++) {
        const r = await call("POST", `/v1/workspaces/${ws}/credits/consume`, {
          role: "service",
          body: { feature: "copilot", credits: 1 },
        });
        expect(r.json.allowed).toBe(true);
      }
    },
    ids: (page) => (page.entries as { id: number }[]).map((e) => e.id),
  },
  {
    feed: "channels-whatsapp",
    path: (ws) => `/v1/workspaces/${ws}/channels/whatsapp?pageSize=2`,
    grow: async (ws, n) => {
      for (let i = 0; i < n; i++) {
        const r = await call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
          role: "service",
          body: { id: `wa-${seq++}` },
        });
        expect(r.status).toBe(200);
      }
    },
    ids: (page) => (page.channels as { id: string }[]).map((c) => c.id),
  },
];

async function workspace() {
  const ws = freshWorkspace("cur");
  await setClock(ws, new Date(T0).toISOString());
  await subscribe(ws, { plan: "advanced", seats: 3, periodAnchor: "2026-07-15T00:00:00Z" });
  return ws;
}

/** A cursor signed by the workspace itself, at any position: what only a bug could issue. */
const signedBy = (ws: string, feed: Feed, position: number[]) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
    issueCursor(new Store(state.storage.sql), feed, ws, position),
  );

/** A cursor in the right format whose tag the workspace never made. */
const forged = (ws: string, feed: Feed, position: number[]) =>
  formatCursor(cursorPayload(feed, ws, position), new Uint8Array(16));

const page = (path: string, after?: string) =>
  call("GET", after === undefined ? path : `${path}&after=${after}`, { role: "viewer" });

async function refused(path: string, after: string, why: RegExp) {
  const r = await page(path, after);
  expect(r.status, `${path} after=${after}: ${r.text}`).toBe(400);
  expect(r.json.error.code).toBe("invalid_request");
  expect(r.json.error.details).toHaveLength(1);
  expect(r.json.error.details[0].path).toBe("after");
  expect(r.json.error.details[0].message).toMatch(why);
}

describe.each(FEEDS)("cursors of $feed", ({ feed, path, grow, ids }) => {
  it("are opaque, and page through every item once, in order", async () => {
    const ws = await workspace();
    await grow(ws, 5);
    const seen: unknown[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const r = await page(path(ws), after);
      expect(r.status).toBe(200);
      seen.push(...ids(r.json));
      if (r.json.nextCursor === null || ids(r.json).length === 0) break;
      after = r.json.nextCursor;
      // Not a bare number or a readable key any more: nothing a client could make up.
      expect(after).toMatch(/^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{22}$/);
      expect(after).not.toMatch(/^\d+$/);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it("refuses another workspace's cursor with 400 naming after", async () => {
    const mine = await workspace();
    const theirs = await workspace();
    await grow(mine, 1);
    await grow(theirs, 3);
    const foreign = (await page(path(theirs))).json.nextCursor;
    expect(foreign).toEqual(expect.any(String));
    await refused(path(mine), foreign, /another workspace/);
  });

  it("refuses a cursor this feed never issued (999999999999, or past the newest item)", async () => {
    const ws = await workspace();
    await grow(ws, 3);
    await refused(path(ws), "999999999999", /not a cursor of this API/);
    await refused(path(ws), "999999999999:1", /must be a nextCursor/);
    const past = feed.startsWith("channels") ? [T0, 999_999_999_999] : [999_999_999_999];
    await refused(path(ws), forged(ws, feed, past), /not a cursor of this API/);
    // Even one carrying the workspace's own signature: the feed never got that far.
    await refused(path(ws), await signedBy(ws, feed, past), /never issued/);
    await refused(
      path(ws),
      await signedBy(
        ws,
        feed,
        past.map(() => -1),
      ),
      /never issued/,
    );
  });

  it("refuses a malformed or tampered cursor, and one of another feed", async () => {
    const ws = await workspace();
    await grow(ws, 3);
    const good: string = (await page(path(ws))).json.nextCursor;
    // An earlier position, spelled by hand, with the tag of the cursor it was made from.
    const [text = "", tag = ""] = good.split(".");
    const payload = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const earlier = payload.replace(/\.(\d+)$/, (_, n) => `.${Math.max(0, Number(n) - 1)}`);
    expect(earlier).not.toBe(payload);
    const b64 = btoa(earlier).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (const bad of ["abc", "01", "-1", `${b64}.${tag}`, `${good}A`, forged(ws, feed, [1])]) {
      await refused(path(ws), bad, /not a cursor of this API/);
    }
    const other: Feed = feed === "events" ? "ledger" : "events";
    await refused(path(ws), await signedBy(ws, other, [0]), /is a cursor of the/);
  });

  it("keeps answering 0 (or no cursor) as the start of the feed", async () => {
    const ws = await workspace();
    await grow(ws, 1);
    for (const after of [undefined, "0"]) {
      const r = await page(path(ws), after);
      expect(r.status).toBe(200);
      expect(ids(r.json)).toHaveLength(1);
    }
  });
});

describe("a cursor at an item that no longer exists", () => {
  it("still reads the event feed on after its events were pruned by retention", async () => {
    const ws = await workspace();
    await recordEventsIn(ws, 3);
    const path = `/v1/workspaces/${ws}/events?limit=100`;
    const first = await page(path);
    expect(first.json.events).toHaveLength(3);
    const cursor: string = first.json.nextCursor;
    // 91 days on: everything recorded at T0 is pruned; the renewals since record new events.
    await setClock(ws, new Date(T0 + 91 * DAY_MS).toISOString());
    const all = await page(path);
    expect(all.json.events.map((e: { type: string }) => e.type)).not.toContain("credits.threshold");
    expect(all.json.events.length).toBeGreaterThan(0);
    const next = await page(path, cursor);
    expect(next.status).toBe(200);
    expect(next.json.events).toEqual(all.json.events);
  });

  it("still reads the credit ledger on after its rows were pruned", async () => {
    const ws = await workspace();
    await FEEDS[1]?.grow(ws, 3);
    const path = `/v1/workspaces/${ws}/credits/ledger?limit=100`;
    const cursor: string = (await page(path)).json.nextCursor;
    // What the 400-day retention does to old rows, done at once.
    await runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) => {
      state.storage.sql.exec("DELETE FROM credit_ledger");
    });
    await FEEDS[1]?.grow(ws, 1);
    const next = await page(path, cursor);
    expect(next.status).toBe(200);
    expect(next.json.entries.map((e: { id: number }) => e.id)).toEqual([4]);
  });

  it("still reads a channel list on after the channel at the cursor was disconnected", async () => {
    const ws = await workspace();
    for (const id of ["a", "b", "c"]) {
      await call("POST", `/v1/workspaces/${ws}/channels/instagram`, {
        role: "service",
        body: { id },
      });
    }
    const path = `/v1/workspaces/${ws}/channels/instagram?pageSize=2`;
    const first = await page(path);
    expect(first.json.channels.map((c: { id: string }) => c.id)).toEqual(["a", "b"]);
    await call("DELETE", `/v1/workspaces/${ws}/channels/instagram/b`, { role: "service" });
    const next = await page(path, first.json.nextCursor);
    expect(next.status).toBe(200);
    expect(next.json.channels.map((c: { id: string }) => c.id)).toEqual(["c"]);
    // A WhatsApp list refuses the Instagram list's cursor.
    await refused(
      `/v1/workspaces/${ws}/channels/whatsapp?pageSize=2`,
      first.json.nextCursor,
      /Instagram channel list, not of the WhatsApp/,
    );
  });
});
