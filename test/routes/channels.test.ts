import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/policy/time";
import { storedEvents } from "../support/events";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

const NOW = "2026-07-01T00:00:00.000Z";
const at = (ms: number) => new Date(ms).toISOString();
const plus = (instant: string, ms: number) => at(Date.parse(instant) + ms);

/** A workspace frozen at `NOW` on the given plan. */
async function workspace(plan = "base", seats = 1, overrides?: Record<string, unknown>) {
  const ws = freshWorkspace("ch");
  await setClock(ws, NOW);
  const r = await subscribe(ws, { plan, seats, periodAnchor: NOW, overrides });
  expect(r.status).toBe(200);
  return ws;
}

const connect = (ws: string, kind: string, id: string, role: "service" | "platform" = "service") =>
  call("POST", `/v1/workspaces/${ws}/channels/${kind}`, { role, body: { id } });

/** How the platform imports a channel connected earlier. */
const importChannel = (ws: string, kind: string, id: string, connectedAt: string) =>
  call("POST", `/v1/workspaces/${ws}/channels/${kind}`, { body: { id, connectedAt } });

const list = async (ws: string, kind: string, query = "") => {
  const r = await call("GET", `/v1/workspaces/${ws}/channels/${kind}${query}`, { role: "viewer" });
  expect(r.status).toBe(200);
  return r.json;
};

const statuses = async (ws: string, kind: string) =>
  Object.fromEntries(
    (await list(ws, kind)).channels.map((c: { id: string; status: string }) => [c.id, c.status]),
  );

const usage = async (ws: string) => (await call("GET", `/v1/workspaces/${ws}/usage`)).json;

describe("channel limits per plan and seat count (the seed table)", () => {
  it.each([
    ["base", 1, 1],
    ["base", 4, 4],
    ["advanced", 1, 3],
    ["advanced", 2, 3],
    ["advanced", 3, 3],
    ["advanced", 5, 5],
    ["pro", 2, null],
    ["shopify", 2, 2],
  ] as const)(
    "%s with %i seats: %s WhatsApp numbers and Instagram accounts",
    async (plan, seats, limit) => {
      const ws = await workspace(plan, seats);
      const u = await usage(ws);
      expect(u.whatsapp).toEqual({
        used: 0,
        limit,
        state: "ok",
        graceEndsAt: null,
        grandfathered: 0,
        disabled: 0,
        overLimit: false,
        toDisable: 0,
      });
      expect(u.instagram.limit).toBe(limit);
    },
  );

  it("lets advanced with 3 seats connect 3 numbers without a grace, the 4th starts one", async () => {
    const ws = await workspace("advanced", 3);
    for (const id of ["n1", "n2", "n3"]) {
      const r = await connect(ws, "whatsapp", id);
      expect(r.json).toMatchObject({ status: "active", overLimit: false });
      expect(r.json.grace).toBeUndefined();
    }
    const fourth = await connect(ws, "whatsapp", "n4");
    expect(fourth.json).toMatchObject({ overLimit: true, used: 4, limit: 3 });
    expect(fourth.json.grace).toEqual({ endsAt: "2026-07-02T00:00:00.000Z" });
  });

  it("never limits pro, however many are connected", async () => {
    const ws = await workspace("pro", 1);
    for (let i = 0; i < 6; i++) {
      const r = await connect(ws, "instagram", `acct-${i}`);
      expect(r.json).toMatchObject({
        status: "active",
        overLimit: false,
        limit: null,
        used: i + 1,
      });
      expect(r.json.grace).toBeUndefined();
    }
    await setClock(ws, plus(NOW, 48 * HOUR_MS));
    expect((await usage(ws)).instagram).toMatchObject({ used: 6, state: "ok", disabled: 0 });
    expect(await storedEvents(ws)).toEqual([]);
  });
});

describe("grandfathered channels", () => {
  it("base, 1 seat, 3 grandfathered numbers: a new number is over the limit and is the one disabled after grace", async () => {
    const ws = await workspace("base", 1);
    const imported = [
      ["gf-1", "2025-11-03T09:00:00.000Z"],
      ["gf-2", "2026-02-14T10:00:00.000Z"],
      ["gf-3", "2026-05-31T23:59:59.999Z"],
    ] as const;
    for (const [id, connectedAt] of imported) {
      const r = await importChannel(ws, "whatsapp", id, connectedAt);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ id, status: "active", connectedAt, grandfathered: true });
      expect(r.json.grace).toBeUndefined();
    }
    // Over the count with grandfathered numbers alone: nothing could be disabled, no grace.
    expect((await usage(ws)).whatsapp).toMatchObject({
      used: 3,
      limit: 1,
      state: "ok",
      grandfathered: 3,
      overLimit: true,
    });
    expect(await storedEvents(ws)).toEqual([]);

    const fresh = await connect(ws, "whatsapp", "new-1");
    expect(fresh.status).toBe(200);
    expect(fresh.json).toEqual({
      kind: "whatsapp",
      id: "new-1",
      status: "active",
      connectedAt: NOW,
      grandfathered: false,
      disabledAt: null,
      alreadyConnected: false,
      overLimit: true,
      used: 4,
      limit: 1,
      grace: { endsAt: "2026-07-02T00:00:00.000Z" },
    });
    expect((await usage(ws)).whatsapp).toMatchObject({
      used: 4,
      state: "grace",
      graceEndsAt: "2026-07-02T00:00:00.000Z",
      toDisable: 1,
    });

    // Every number keeps working during the grace, up to its last millisecond.
    await setClock(ws, "2026-07-01T23:59:59.999Z");
    expect(await statuses(ws, "whatsapp")).toEqual({
      "gf-1": "active",
      "gf-2": "active",
      "gf-3": "active",
      "new-1": "active",
    });

    await setClock(ws, "2026-07-02T00:00:00.000Z");
    const after = await list(ws, "whatsapp");
    expect(after.channels).toEqual([
      ...imported.map(([id, connectedAt]) => ({
        id,
        status: "active",
        connectedAt,
        grandfathered: true,
        disabledAt: null,
      })),
      {
        id: "new-1",
        status: "disabled",
        connectedAt: NOW,
        grandfathered: false,
        disabledAt: "2026-07-02T00:00:00.000Z",
      },
    ]);
    expect(after).toMatchObject({ used: 3, state: "enforced", disabled: 1, grandfathered: 3 });
    expect(await storedEvents(ws)).toEqual([
      {
        type: "limit.reached",
        occurredAt: NOW,
        data: {
          limit: "whatsapp",
          used: 4,
          max: 1,
          excess: 1,
          graceEndsAt: "2026-07-02T00:00:00.000Z",
        },
      },
      {
        type: "channel.disabled",
        occurredAt: "2026-07-02T00:00:00.000Z",
        data: {
          kind: "whatsapp",
          channelId: "new-1",
          connectedAt: NOW,
          disabledAt: "2026-07-02T00:00:00.000Z",
        },
      },
      {
        type: "limit.enforced",
        occurredAt: "2026-07-02T00:00:00.000Z",
        data: {
          limit: "whatsapp",
          used: 3,
          max: 1,
          disabled: 1,
          graceEndedAt: "2026-07-02T00:00:00.000Z",
        },
      },
    ]);
  });

  it("is decided by connectedAt: the cut-over instant itself is not grandfathered", async () => {
    const ws = await workspace("base", 1);
    const r = await importChannel(ws, "instagram", "a", "2026-06-01T00:00:00Z");
    expect(r.json).toMatchObject({ grandfathered: false, connectedAt: "2026-06-01T00:00:00.000Z" });
    const b = await importChannel(ws, "instagram", "b", "2026-05-31T23:00:00-02:00");
    // An offset is read as the instant it names: 2026-06-01T01:00Z, after the cut-over.
    expect(b.json).toMatchObject({ grandfathered: false, connectedAt: "2026-06-01T01:00:00.000Z" });
    expect(b.json.grace).toEqual({ endsAt: "2026-07-02T00:00:00.000Z" });
  });

  it("is lost on reconnecting after a disconnect: that is a new connection", async () => {
    const ws = await workspace("base", 1);
    await importChannel(ws, "whatsapp", "old", "2026-01-01T00:00:00Z");
    expect(
      (await call("DELETE", `/v1/workspaces/${ws}/channels/whatsapp/old`, { role: "service" }))
        .status,
    ).toBe(200);
    const again = await connect(ws, "whatsapp", "old");
    expect(again.json).toMatchObject({ grandfathered: false, connectedAt: NOW });
  });
});

describe("earliest connected first", () => {
  it("two new numbers on one seat: the earlier connected one is disabled", async () => {
    const ws = await workspace("base", 1);
    const first = await connect(ws, "whatsapp", "early");
    expect(first.json).toMatchObject({ overLimit: false, used: 1 });
    expect(first.json.grace).toBeUndefined();
    await setClock(ws, plus(NOW, 2 * HOUR_MS));
    const second = await connect(ws, "whatsapp", "late");
    expect(second.json).toMatchObject({ overLimit: true, used: 2 });
    const endsAt = plus(NOW, 26 * HOUR_MS);
    expect(second.json.grace).toEqual({ endsAt });

    await setClock(ws, endsAt);
    expect(await statuses(ws, "whatsapp")).toEqual({ early: "disabled", late: "active" });
    const disabled = (await storedEvents(ws)).filter((e) => e.type === "channel.disabled");
    expect(disabled.map((e) => e.data.channelId)).toEqual(["early"]);
  });

  it("disables the excess in connection order, with connectedAt breaking ties by arrival", async () => {
    const ws = await workspace("base", 2);
    // Imported with a connection time before the ones connected now: it is the earliest.
    await connect(ws, "instagram", "a");
    await connect(ws, "instagram", "b");
    await importChannel(ws, "instagram", "imported", "2026-06-15T00:00:00Z");
    await connect(ws, "instagram", "c");
    await setClock(ws, plus(NOW, 24 * HOUR_MS));
    expect(await statuses(ws, "instagram")).toEqual({
      imported: "disabled",
      a: "disabled",
      b: "active",
      c: "active",
    });
    const u = (await usage(ws)).instagram;
    expect(u).toMatchObject({ used: 2, limit: 2, disabled: 2, state: "enforced" });
  });

  it("a downgrade starts a grace and disables the earliest connected at its end", async () => {
    const ws = await workspace("pro", 2);
    for (const [i, id] of ["p1", "p2", "p3"].entries()) {
      await setClock(ws, plus(NOW, i * HOUR_MS));
      await connect(ws, "whatsapp", id);
    }
    const down = await subscribe(ws, { plan: "base", seats: 1, periodAnchor: NOW });
    expect(down.json.limits.whatsappNumbers).toBe(1);
    expect((await usage(ws)).whatsapp).toMatchObject({
      state: "grace",
      graceEndsAt: plus(NOW, 26 * HOUR_MS),
      toDisable: 2,
    });
    await setClock(ws, plus(NOW, 26 * HOUR_MS));
    expect(await statuses(ws, "whatsapp")).toEqual({
      p1: "disabled",
      p2: "disabled",
      p3: "active",
    });
  });
});

describe("ending a grace without disabling", () => {
  it("adding a seat during the grace resolves it", async () => {
    const ws = await workspace("base", 1);
    await connect(ws, "whatsapp", "a");
    await connect(ws, "whatsapp", "b");
    await setClock(ws, plus(NOW, 5 * HOUR_MS));
    const up = await subscribe(ws, { plan: "base", seats: 2, periodAnchor: NOW });
    expect(up.json.limits.whatsappNumbers).toBe(2);
    expect((await usage(ws)).whatsapp).toMatchObject({
      used: 2,
      limit: 2,
      state: "ok",
      graceEndsAt: null,
      overLimit: false,
    });
    await setClock(ws, plus(NOW, 48 * HOUR_MS));
    expect(await statuses(ws, "whatsapp")).toEqual({ a: "active", b: "active" });
    const all = await storedEvents(ws);
    expect(all.map((e) => e.type)).toEqual(["limit.reached", "limit.resolved"]);
    expect(all[1]).toEqual({
      type: "limit.resolved",
      occurredAt: plus(NOW, 5 * HOUR_MS),
      data: { limit: "whatsapp", used: 2, max: 2, startedAt: NOW },
    });
  });

  it("an override raised during the grace resolves only its own kind", async () => {
    const ws = await workspace("base", 1);
    for (const kind of ["whatsapp", "instagram"]) {
      await connect(ws, kind, "x");
      await connect(ws, kind, "y");
    }
    await subscribe(ws, {
      plan: "base",
      seats: 1,
      periodAnchor: NOW,
      overrides: { instagramAccounts: 5 },
    });
    const u = await usage(ws);
    expect(u.whatsapp.state).toBe("grace");
    expect(u.instagram).toMatchObject({ state: "ok", limit: 5 });
  });

  it("a disconnect during the grace frees the place and resolves it", async () => {
    const ws = await workspace("base", 1);
    await connect(ws, "whatsapp", "a");
    await connect(ws, "whatsapp", "b");
    const r = await call("DELETE", `/v1/workspaces/${ws}/channels/whatsapp/a`, { role: "service" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      kind: "whatsapp",
      id: "a",
      disconnected: true,
      previousStatus: "active",
      used: 1,
      limit: 1,
      state: "ok",
      graceEndsAt: null,
    });
    await setClock(ws, plus(NOW, 30 * HOUR_MS));
    expect(await statuses(ws, "whatsapp")).toEqual({ b: "active" });
    expect((await storedEvents(ws)).map((e) => e.type)).toEqual([
      "limit.reached",
      "limit.resolved",
    ]);
  });
});

describe("instagram is counted apart from whatsapp", () => {
  it("an instagram account never uses a whatsapp place, and each kind has its own grace", async () => {
    const ws = await workspace("base", 1);
    expect((await connect(ws, "whatsapp", "same-id")).json.overLimit).toBe(false);
    const ig = await connect(ws, "instagram", "same-id");
    expect(ig.json).toMatchObject({ kind: "instagram", overLimit: false, used: 1, limit: 1 });
    const wa2 = await connect(ws, "whatsapp", "wa-2");
    expect(wa2.json.grace).toEqual({ endsAt: "2026-07-02T00:00:00.000Z" });
    expect((await usage(ws)).instagram).toMatchObject({ used: 1, state: "ok" });

    await setClock(ws, plus(NOW, 12 * HOUR_MS));
    const ig2 = await connect(ws, "instagram", "ig-2");
    expect(ig2.json.grace).toEqual({ endsAt: "2026-07-02T12:00:00.000Z" });

    await setClock(ws, "2026-07-02T00:00:00.000Z");
    expect(await statuses(ws, "whatsapp")).toEqual({ "same-id": "disabled", "wa-2": "active" });
    expect(await statuses(ws, "instagram")).toEqual({ "same-id": "active", "ig-2": "active" });
    const u = await usage(ws);
    expect(u.whatsapp).toMatchObject({ state: "enforced", used: 1, disabled: 1 });
    expect(u.instagram).toMatchObject({ state: "grace", used: 2, toDisable: 1 });

    await setClock(ws, "2026-07-02T12:00:00.000Z");
    expect(await statuses(ws, "instagram")).toEqual({ "same-id": "disabled", "ig-2": "active" });
    const limits = (await storedEvents(ws)).map((e) => `${e.type}:${e.data.limit ?? e.data.kind}`);
    expect(limits).toEqual([
      "limit.reached:whatsapp",
      "limit.reached:instagram",
      "channel.disabled:whatsapp",
      "limit.enforced:whatsapp",
      "channel.disabled:instagram",
      "limit.enforced:instagram",
    ]);
  });
});

describe("after enforcement", () => {
  async function enforced() {
    const ws = await workspace("base", 1);
    await connect(ws, "whatsapp", "a");
    await connect(ws, "whatsapp", "b");
    await setClock(ws, plus(NOW, 24 * HOUR_MS));
    expect(await statuses(ws, "whatsapp")).toEqual({ a: "disabled", b: "active" });
    return ws;
  }

  it("reconnecting a disabled channel within 7 days is a new episode with no grace: the earliest goes at once", async () => {
    const ws = await enforced();
    await setClock(ws, plus(NOW, 30 * HOUR_MS));
    const again = await connect(ws, "whatsapp", "a");
    expect(again.json).toMatchObject({
      id: "a",
      status: "active",
      connectedAt: plus(NOW, 30 * HOUR_MS),
      disabledAt: null,
      alreadyConnected: false,
      overLimit: false,
      used: 1,
    });
    expect(again.json.grace).toBeUndefined();
    // Now b is the earlier connection, so b goes, at once.
    expect(await statuses(ws, "whatsapp")).toEqual({ b: "disabled", a: "active" });
    expect((await usage(ws)).whatsapp).toMatchObject({ state: "enforced", disabled: 1, used: 1 });
    const all = await storedEvents(ws);
    expect(all.map((e) => e.type)).toEqual([
      "limit.reached",
      "channel.disabled",
      "limit.enforced",
      "limit.reached",
      "channel.disabled",
      "limit.enforced",
    ]);
    expect(all.slice(3)).toEqual([
      {
        type: "limit.reached",
        occurredAt: plus(NOW, 30 * HOUR_MS),
        data: {
          limit: "whatsapp",
          used: 2,
          max: 1,
          excess: 1,
          graceEndsAt: plus(NOW, 24 * HOUR_MS),
          graceCarriedOver: true,
        },
      },
      {
        type: "channel.disabled",
        occurredAt: plus(NOW, 30 * HOUR_MS),
        data: {
          kind: "whatsapp",
          channelId: "b",
          connectedAt: NOW,
          disabledAt: plus(NOW, 30 * HOUR_MS),
        },
      },
      {
        type: "limit.enforced",
        occurredAt: plus(NOW, 30 * HOUR_MS),
        data: {
          limit: "whatsapp",
          used: 1,
          max: 1,
          disabled: 1,
          graceEndedAt: plus(NOW, 24 * HOUR_MS),
        },
      },
    ]);
  });

  it("a connection 7 days or more after the enforcement gets a fresh 24-hour grace", async () => {
    const ws = await enforced();
    const later = plus(NOW, 24 * HOUR_MS + 7 * 24 * HOUR_MS);
    await setClock(ws, later);
    const again = await connect(ws, "whatsapp", "a");
    expect(again.json).toMatchObject({
      overLimit: true,
      used: 2,
      grace: { endsAt: plus(later, 24 * HOUR_MS) },
    });
    expect(await statuses(ws, "whatsapp")).toEqual({ b: "active", a: "active" });
    await setClock(ws, plus(later, 24 * HOUR_MS));
    expect(await statuses(ws, "whatsapp")).toEqual({ b: "disabled", a: "active" });
  });

  it("stays enforced while at the limit, and resolves once a place frees", async () => {
    const ws = await enforced();
    expect((await usage(ws)).whatsapp).toMatchObject({ state: "enforced", used: 1, limit: 1 });
    const r = await call("DELETE", `/v1/workspaces/${ws}/channels/whatsapp/a`, { role: "service" });
    expect(r.json).toMatchObject({ previousStatus: "disabled", state: "enforced", used: 1 });
    expect((await usage(ws)).whatsapp.disabled).toBe(0);
    const freed = await call("DELETE", `/v1/workspaces/${ws}/channels/whatsapp/b`, {
      role: "service",
    });
    expect(freed.json).toMatchObject({ state: "ok", used: 0 });
    expect((await storedEvents(ws)).map((e) => e.type)).toEqual([
      "limit.reached",
      "channel.disabled",
      "limit.enforced",
      "limit.resolved",
    ]);
  });

  it("does not re-enable disabled channels when the limit rises", async () => {
    const ws = await enforced();
    await subscribe(ws, { plan: "base", seats: 3, periodAnchor: NOW });
    expect(await statuses(ws, "whatsapp")).toEqual({ a: "disabled", b: "active" });
    expect((await usage(ws)).whatsapp).toMatchObject({ state: "ok", used: 1, disabled: 1 });
  });
});

describe("connecting", () => {
  it("answers an already active channel idempotently, changing nothing", async () => {
    const ws = await workspace("base", 1);
    await connect(ws, "whatsapp", "a");
    await setClock(ws, plus(NOW, HOUR_MS));
    const again = await connect(ws, "whatsapp", "a");
    expect(again.json).toMatchObject({ connectedAt: NOW, alreadyConnected: true, used: 1 });
    const imported = await importChannel(ws, "whatsapp", "a", "2025-01-01T00:00:00Z");
    expect(imported.json).toMatchObject({ connectedAt: NOW, grandfathered: false, used: 1 });
    expect((await usage(ws)).whatsapp.used).toBe(1);
    expect(await storedEvents(ws)).toEqual([]);
  });

  it("replays a retried connection with its Idempotency-Key", async () => {
    const ws = await workspace("base", 1);
    const send = () =>
      call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
        role: "service",
        body: { id: "a" },
        headers: { "idempotency-key": "connect-a" },
      });
    const first = await send();
    const replay = await send();
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("refuses connectedAt from a service with 403 and changes nothing", async () => {
    const ws = await workspace("base", 1);
    const r = await call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
      role: "service",
      body: { id: "a", connectedAt: "2026-01-01T00:00:00Z" },
    });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("forbidden");
    expect(r.json.error.message).toMatch(/connectedAt/);
    expect((await list(ws, "whatsapp")).channels).toEqual([]);
  });

  it("refuses a connectedAt after now with 400 naming it", async () => {
    const ws = await workspace("base", 1);
    const r = await importChannel(ws, "whatsapp", "a", plus(NOW, 1));
    expect(r.status).toBe(400);
    expect(r.json.error.details).toEqual([
      { path: "connectedAt", message: `must not be after now (${NOW})` },
    ]);
    expect((await importChannel(ws, "whatsapp", "a", NOW)).status).toBe(200);
  });

  it.each([
    ["an unknown kind", "telegram", { id: "a" }, ["kind"]],
    ["a missing id", "whatsapp", {}, ["id"]],
    ["an id with spaces", "whatsapp", { id: "a b" }, ["id"]],
    ["an id over 128 characters", "whatsapp", { id: "x".repeat(129) }, ["id"]],
    ["an unknown field", "whatsapp", { id: "a", status: "active" }, ["status"]],
    ["a malformed connectedAt", "whatsapp", { id: "a", connectedAt: "yesterday" }, ["connectedAt"]],
  ])("refuses %s with 400 naming the field", async (_, kind, body, paths) => {
    const ws = await workspace("base", 1);
    const r = await call("POST", `/v1/workspaces/${ws}/channels/${kind}`, { body });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual(paths);
  });

  it.each(["admin", "viewer"] as const)("is not for the %s role", async (role) => {
    const ws = await workspace("base", 1);
    const r = await call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
      role,
      body: { id: "a" },
    });
    expect(r.status).toBe(403);
  });

  it("answers 404 for a workspace without a subscription", async () => {
    const ws = freshWorkspace("ch");
    expect((await connect(ws, "whatsapp", "a")).status).toBe(404);
    expect((await call("GET", `/v1/workspaces/${ws}/channels/whatsapp`)).status).toBe(404);
  });
});

describe("disconnecting", () => {
  it("answers 404 for an unknown channel, and for an id of the other kind", async () => {
    const ws = await workspace("base", 1);
    await connect(ws, "instagram", "acct");
    const r = await call("DELETE", `/v1/workspaces/${ws}/channels/whatsapp/acct`, {
      role: "service",
    });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
    expect((await usage(ws)).instagram.used).toBe(1);
  });

  it("answers 400 naming kind for an unknown kind", async () => {
    const ws = await workspace("base", 1);
    const r = await call("DELETE", `/v1/workspaces/${ws}/channels/sms/a`, { role: "service" });
    expect(r.status).toBe(400);
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual(["kind"]);
  });

  it("takes ids that need escaping in a path", async () => {
    const ws = await workspace("pro", 1);
    await connect(ws, "whatsapp", "+55 11".replace(" ", ""));
    await connect(ws, "whatsapp", "a/b?c#d");
    const plusId = await call("DELETE", `/v1/workspaces/${ws}/channels/whatsapp/%2B5511`, {
      role: "service",
    });
    expect(plusId.status).toBe(200);
    const slashed = await call(
      "DELETE",
      `/v1/workspaces/${ws}/channels/whatsapp/${encodeURIComponent("a/b?c#d")}`,
      { role: "service" },
    );
    expect(slashed.status).toBe(200);
    expect(slashed.json.id).toBe("a/b?c#d");
    expect((await usage(ws)).whatsapp.used).toBe(0);
  });
});

describe("listing", () => {
  it("lists every channel earliest connected first, a page at a time", async () => {
    const ws = await workspace("pro", 1);
    const ids = ["c0", "c1", "c2", "c3", "c4"];
    // Two at each instant, so a page boundary falls between channels connected together.
    for (const [i, id] of ids.entries()) {
      await setClock(ws, plus(NOW, Math.floor(i / 2) * HOUR_MS));
      await connect(ws, "instagram", id);
    }
    await importChannel(ws, "instagram", "legacy", "2026-01-01T00:00:00Z");
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "?pageSize=2" : `?pageSize=2&after=${cursor}`;
      const page = await list(ws, "instagram", query);
      expect(page.channels.length).toBeLessThanOrEqual(2);
      seen.push(...page.channels.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual(["legacy", ...ids]);
    expect(pages).toBe(3);
    const whole = await list(ws, "instagram");
    expect(whole).toMatchObject({ kind: "instagram", used: 6, limit: null, nextCursor: null });
    expect(whole.channels[0]).toEqual({
      id: "legacy",
      status: "active",
      connectedAt: "2026-01-01T00:00:00.000Z",
      grandfathered: true,
      disabledAt: null,
    });
  });

  it.each([
    ["?pageSize=0", "pageSize"],
    ["?pageSize=501", "pageSize"],
    ["?after=abc", "after"],
  ])("refuses %s with 400 naming the parameter", async (query, path) => {
    const ws = await workspace("base", 1);
    const r = await call("GET", `/v1/workspaces/${ws}/channels/whatsapp${query}`);
    expect(r.status).toBe(400);
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  it("answers 400 naming kind for an unknown kind", async () => {
    const ws = await workspace("base", 1);
    const r = await call("GET", `/v1/workspaces/${ws}/channels/facebook`);
    expect(r.status).toBe(400);
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual(["kind"]);
  });
});
