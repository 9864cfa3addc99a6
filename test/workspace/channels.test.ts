import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { excessOf } from "../../src/policy/channels";
import { GRACE_MS } from "../../src/policy/episode";
import { periodAt } from "../../src/policy/periods";
import { HOUR_MS } from "../../src/policy/time";
import { storedEvents } from "../support/events";
import {
  advanceTimeTo,
  call,
  freezeTime,
  freshWorkspace,
  setClock,
  settledAlarm,
  subscribe,
} from "../support/helpers";

const NOW = "2026-07-01T00:00:00.000Z";
const T0 = Date.parse(NOW);
const at = (ms: number) => new Date(ms).toISOString();

const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);

const connect = (ws: string, kind: string, id: string) =>
  call("POST", `/v1/workspaces/${ws}/channels/${kind}`, { role: "service", body: { id } });

const sql = <T extends Record<string, SqlStorageValue>>(
  ws: string,
  query: string,
  ...params: SqlStorageValue[]
) =>
  runInDurableObject(stubOf(ws), async (_, state) =>
    state.storage.sql.exec<T>(query, ...params).toArray(),
  );

const eventTypes = async (ws: string) =>
  (await storedEvents(ws)).map((e) => `${e.type}@${e.occurredAt}`);

const statuses = async (ws: string, kind: string) => {
  const r = await call("GET", `/v1/workspaces/${ws}/channels/${kind}`);
  return Object.fromEntries(
    r.json.channels.map((c: { id: string; status: string; disabledAt: string | null }) => [
      c.id,
      c.disabledAt === null ? c.status : `${c.status}@${c.disabledAt}`,
    ]),
  );
};

describe("an idle workspace is enforced on time by its alarm", () => {
  freezeTime();
  it("arms the alarm at the grace end and disables the excess when it rings", async () => {
    // Real time, not a test clock: a test clock moves only by PUT test-clock, so the object
    // arms no alarm under one. Here the connections start a 24-hour grace and the alarm is
    // armed for its end; the test moves Date (which the object reads) past it and rings the
    // alarm, which must apply the grace end with no other call arriving.
    const ws = freshWorkspace("alarm");
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: NOW });
    expect((await connect(ws, "whatsapp", "first")).json.grace).toBeUndefined();
    const second = await connect(ws, "whatsapp", "second");
    const graceEndsAt = Date.parse(second.json.grace.endsAt);
    expect(graceEndsAt - Date.now()).toBe(GRACE_MS);
    expect(await settledAlarm(ws)).toBe(graceEndsAt);

    advanceTimeTo(graceEndsAt + 1_000);
    expect(await runDurableObjectAlarm(stubOf(ws))).toBe(true);

    // Applied by the alarm: stored, not merely shown by a lazy read.
    const rows = await sql<{ id: string; status: string; disabled_at: number | null }>(
      ws,
      "SELECT id, status, disabled_at FROM channels ORDER BY seq",
    );
    expect(rows).toEqual([
      { id: "first", status: "disabled", disabled_at: graceEndsAt },
      { id: "second", status: "active", disabled_at: null },
    ]);
    expect((await eventTypes(ws)).map((e) => e.split("@")[0])).toEqual([
      "limit.reached",
      "channel.disabled",
      "limit.enforced",
    ]);
    // No channel deadline is left: the alarm now waits for the next credit period (a month on).
    expect(await settledAlarm(ws)).toBe(periodAt(Date.parse(NOW), Date.now()).end);
  });

  it("applies a lapsed grace through the test clock as the cron would, once", async () => {
    const ws = freshWorkspace("clock");
    await setClock(ws, NOW);
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: NOW });
    await connect(ws, "instagram", "a");
    await connect(ws, "instagram", "b");
    await setClock(ws, at(T0 + 3 * GRACE_MS));
    await stubOf(ws).runDueWork();
    await setClock(ws, at(T0 + 4 * GRACE_MS));
    expect(await eventTypes(ws)).toEqual([
      `limit.reached@${NOW}`,
      `channel.disabled@${at(T0 + GRACE_MS)}`,
      `limit.enforced@${at(T0 + GRACE_MS)}`,
    ]);
    expect(await statuses(ws, "instagram")).toEqual({
      a: `disabled@${at(T0 + GRACE_MS)}`,
      b: "active",
    });
  });
});

describe("reads are lazy and never write", () => {
  it("shows a lapsed grace as enforced before any call applies it, then applies the same", async () => {
    const ws = freshWorkspace("lazy");
    await setClock(ws, NOW);
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: NOW });
    await connect(ws, "whatsapp", "a");
    await connect(ws, "whatsapp", "b");
    // Move the frozen clock past the grace end without running due work (PUT test-clock would).
    await sql(
      ws,
      "UPDATE meta SET value = ? WHERE key = 'testClock'",
      JSON.stringify(T0 + 25 * HOUR_MS),
    );

    const graceEnd = at(T0 + GRACE_MS);
    const before = await statuses(ws, "whatsapp");
    expect(before).toEqual({ a: `disabled@${graceEnd}`, b: "active" });
    const usage = (await call("GET", `/v1/workspaces/${ws}/usage`)).json.whatsapp;
    expect(usage).toMatchObject({ state: "enforced", used: 1, disabled: 1, graceEndsAt: graceEnd });
    expect(await eventTypes(ws)).toEqual([`limit.reached@${NOW}`]);
    const stored = await sql<{ status: string }>(ws, "SELECT status FROM channels ORDER BY seq");
    expect(stored.map((r) => r.status)).toEqual(["active", "active"]);

    // Any mutation settles first: the same outcome is recorded, dated at the grace end.
    await connect(ws, "instagram", "unrelated");
    expect(await statuses(ws, "whatsapp")).toEqual(before);
    expect(await eventTypes(ws)).toEqual([
      `limit.reached@${NOW}`,
      `channel.disabled@${graceEnd}`,
      `limit.enforced@${graceEnd}`,
    ]);
  });
});

describe("counters stay exact", () => {
  it("keeps counts equal to the rows and grace exactly when something does not fit, over a long mixed run", async () => {
    const ws = freshWorkspace("mix");
    await setClock(ws, NOW);
    await subscribe(ws, { plan: "base", seats: 2, periodAnchor: NOW });
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let clock = T0;
    for (let step = 0; step < 60; step++) {
      const kind = rand(2) === 0 ? "whatsapp" : "instagram";
      const id = `c${rand(6)}`;
      const op = rand(10);
      if (op < 4) await connect(ws, kind, id);
      else if (op < 5) {
        await call("POST", `/v1/workspaces/${ws}/channels/${kind}`, {
          body: { id: `gf${rand(3)}`, connectedAt: "2026-04-01T00:00:00Z" },
        });
      } else if (op < 7) {
        await call("DELETE", `/v1/workspaces/${ws}/channels/${kind}/${id}`, { role: "service" });
      } else if (op < 9) {
        clock += (rand(20) + 1) * HOUR_MS;
        await setClock(ws, at(clock));
      } else {
        await subscribe(ws, { plan: "base", seats: rand(3) + 1, periodAnchor: NOW });
      }
      const limits = (await call("GET", `/v1/workspaces/${ws}/subscription`)).json.limits;
      for (const k of ["whatsapp", "instagram"] as const) {
        const [kept] = await sql<{
          active: number;
          grandfathered: number;
          disabled: number;
          episode: string;
        }>(
          ws,
          "SELECT active, grandfathered, disabled, episode FROM channel_limits WHERE kind = ?",
          k,
        );
        const [rows] = await sql<{ active: number; grandfathered: number; disabled: number }>(
          ws,
          `SELECT COALESCE(SUM(status = 'active'), 0) AS active,
             COALESCE(SUM(status = 'active' AND grandfathered = 1), 0) AS grandfathered,
             COALESCE(SUM(status = 'disabled'), 0) AS disabled,
             COALESCE(SUM(status = 'disabled' AND grandfathered = 1), 0) AS gfDisabled
           FROM channels WHERE kind = ?`,
          k,
        );
        const counts = kept ?? {
          active: 0,
          grandfathered: 0,
          disabled: 0,
          episode: '{"phase":"ok"}',
        };
        expect({ ...rows }, `step ${step} ${k}`).toEqual({
          active: counts.active,
          grandfathered: counts.grandfathered,
          disabled: counts.disabled,
          gfDisabled: 0,
        });
        const limit = k === "whatsapp" ? limits.whatsappNumbers : limits.instagramAccounts;
        const phase = JSON.parse(counts.episode).phase;
        expect(phase === "grace", `step ${step} ${k}: ${phase}`).toBe(excessOf(counts, limit) > 0);
      }
    }
    expect((await eventTypes(ws)).some((e) => e.startsWith("channel.disabled"))).toBe(true);
  });
});
