import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/policy/time";
import type { WorkspaceObject } from "../../src/workspace/object";
import { storedEvents } from "../support/events";
import { api, call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * The bulk path: entity batches and lookups, channel batches ("Batches" in
 * docs/rules.md, "Leads, contacts and companies" and "WhatsApp numbers and Instagram
 * accounts").
 */

const T0 = "2026-07-15T00:00:00.000Z";
const GRACE_END = "2026-07-16T00:00:00.000Z";

/** Base with 1 seat and a leads limit of `leads` (contacts and companies: 3). */
async function workspace(leads = 4) {
  const ws = freshWorkspace("bulk");
  await setClock(ws, T0);
  const r = await subscribe(ws, {
    plan: "base",
    seats: 1,
    periodAnchor: T0,
    overrides: { leadsPerSeat: leads, contactsAndCompaniesPerSeat: 3 },
  });
  expect(r.status).toBe(200);
  return ws;
}

const batch = (
  ws: string,
  kind: string,
  ids: unknown,
  opts: { role?: "service" | "platform" | "viewer" | "admin"; key?: string } = {},
) =>
  call("POST", `${api(ws)}/entities/${kind}/batch`, {
    role: opts.role ?? "service",
    body: { ids },
    headers: opts.key === undefined ? {} : { "idempotency-key": opts.key },
  });
const lookup = (ws: string, kind: string, ids: unknown, role: "viewer" | "service" = "viewer") =>
  call("POST", `${api(ws)}/entities/${kind}/lookup`, { role, body: { ids } });
const create = (ws: string, kind: string, id: string) =>
  call("POST", `${api(ws)}/entities/${kind}`, { role: "service", body: { id } });
const usage = async (ws: string) =>
  (await call("GET", `${api(ws)}/usage`, { role: "viewer" })).json;

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("entity batches", () => {
  it("answers one result per id, in order, and the usage after the batch", async () => {
    const ws = await workspace(10);
    const r = await batch(ws, "leads", ["c", "a", "b"]);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      kind: "leads",
      entities: ["c", "a", "b"].map((id) => ({
        id,
        status: "active",
        accessible: true,
        outcome: null,
        updatedAt: T0,
        changed: true,
      })),
      created: 3,
      usage: { used: 3, limit: 10, blocked: 0, state: "ok", graceEndsAt: null },
    });
    expect((await usage(ws)).leads.used).toBe(3);
  });

  it("counts a repeated id once, in the batch or already known", async () => {
    const ws = await workspace(10);
    await create(ws, "contacts", "known");
    const r = await batch(ws, "contacts", ["x", "known", "x", "y"]);
    expect(r.json.entities.map((e: { id: string; changed: boolean }) => [e.id, e.changed])).toEqual(
      [
        ["x", true],
        ["known", false],
        ["x", false],
        ["y", true],
      ],
    );
    expect(r.json.created).toBe(2);
    expect(r.json.usage.used).toBe(3);
    // Contacts and companies share their limit; ids are per kind.
    expect((await batch(ws, "companies", ["x"])).json.created).toBe(1);
    expect((await usage(ws)).contactsAndCompanies.used).toBe(4);
  });

  it("takes 1,000 ids and refuses 1,001 (or none) with a 400 naming ids, changing nothing", {
    timeout: 60_000,
  }, async () => {
    const ws = await workspace(5_000);
    const over = await batch(ws, "leads", ids("L", 1_001));
    expect(over.status).toBe(400);
    expect(over.json.error.details.map((d: { path: string }) => d.path)).toEqual(["ids"]);
    const none = await batch(ws, "leads", []);
    expect(none.status).toBe(400);
    expect((await usage(ws)).leads.used).toBe(0);
    const full = await batch(ws, "leads", ids("L", 1_000));
    expect(full.status).toBe(200);
    expect(full.json.entities).toHaveLength(1_000);
    expect(full.json.usage.used).toBe(1_000);
  });

  it("takes 1,000 ids of 128 characters (a body over 64 KiB)", { timeout: 60_000 }, async () => {
    const ws = await workspace(5_000);
    const long = ids("", 1_000).map((n) => n.padStart(128, "x"));
    const r = await batch(ws, "leads", long);
    expect(r.status).toBe(200);
    expect(r.json.created).toBe(1_000);
  });

  it.each([
    ["an unknown kind", "deals", ["a"], "kind"],
    ["an empty id", "leads", ["a", ""], "ids.1"],
    ["a non-string id", "leads", ["a", 7], "ids.1"],
    ["ids not a list", "leads", "a", "ids"],
  ])("refuses %s with a 400 naming it", async (_, kind, body, path) => {
    const ws = await workspace();
    const r = await batch(ws, kind, body);
    expect(r.status).toBe(400);
    expect([...new Set(r.json.error.details.map((d: { path: string }) => d.path))]).toEqual([path]);
    expect((await usage(ws)).leads.used).toBe(0);
  });

  it("is for services and the platform", async () => {
    const ws = await workspace();
    for (const role of ["viewer", "admin"] as const) {
      expect((await batch(ws, "leads", ["a"], { role })).status).toBe(403);
    }
    expect((await batch(ws, "leads", ["a"], { role: "platform" })).status).toBe(200);
  });

  it("records a whole batch once when retried with its Idempotency-Key", async () => {
    const ws = await workspace();
    const first = await batch(ws, "leads", ["a", "b", "c", "d", "e"], { key: "import-1" });
    expect(first.json.usage).toMatchObject({ used: 5, state: "grace" });
    const again = await batch(ws, "leads", ["a", "b", "c", "d", "e"], { key: "import-1" });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const other = await batch(ws, "leads", ["a", "b"], { key: "import-1" });
    expect(other.status).toBe(409);
    expect((await usage(ws)).leads.used).toBe(5);
    expect((await storedEvents(ws)).map((e) => e.type)).toEqual(["limit.reached"]);
  });
});

describe("a batch decides like single creates at the limit boundary", () => {
  /** Two workspaces in the same state: one gets single creates, the other one batch. */
  async function twins(prepare: (ws: string) => Promise<void>) {
    const single = await workspace(4);
    const bulk = await workspace(4);
    await prepare(single);
    await prepare(bulk);
    return { single, bulk };
  }

  /** What a caller sees per id, and the events recorded (without their random ids). */
  async function compare(single: string, bulk: string, sent: string[]) {
    const singles = [];
    for (const id of sent) {
      const { usage: _, kind: __, ...item } = (await create(single, "leads", id)).json;
      singles.push(item);
    }
    const r = await batch(bulk, "leads", sent);
    expect(r.status).toBe(200);
    expect(r.json.entities).toEqual(singles);
    expect(r.json.usage).toEqual((await usage(single)).leads);
    expect(await usage(bulk)).toEqual(await usage(single));
    expect(await storedEvents(bulk)).toEqual(await storedEvents(single));
    return r.json;
  }

  it("crossing the limit: the grace starts at the exact id that reaches it", async () => {
    const { single, bulk } = await twins(async (ws) => {
      await create(ws, "leads", "old-1");
      await create(ws, "leads", "old-2");
    });
    const answer = await compare(single, bulk, ["n1", "old-1", "n2", "n3", "n1", "n4"]);
    // The 4th lead (n2) reaches the limit of 4: the grace shows from it on.
    expect(answer.entities.map((e: { grace?: unknown }) => e.grace !== undefined)).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
    const reached = (await storedEvents(bulk)).find((e) => e.type === "limit.reached");
    expect(reached?.data).toMatchObject({ id: "n2", used: 4, max: 4 });
  });

  it("after the grace: every new id is blocked, known ones keep their status", async () => {
    const { single, bulk } = await twins(async (ws) => {
      for (const id of ["a", "b", "c", "d", "e"]) await create(ws, "leads", id);
      await setClock(ws, GRACE_END);
    });
    const answer = await compare(single, bulk, ["f", "a", "e", "g"]);
    expect(answer.entities.map((e: { status: string }) => e.status)).toEqual([
      "blocked",
      "active",
      "blocked",
      "blocked",
    ]);
  });

  it("within a week of an episode ended by closes: enforced at once at the id that reaches it", async () => {
    const { single, bulk } = await twins(async (ws) => {
      for (const id of ["a", "b", "c", "d"]) await create(ws, "leads", id);
      await call("POST", `${api(ws)}/entities/leads/a/close`, {
        role: "service",
        body: { outcome: "won" },
      });
      await setClock(ws, "2026-07-18T00:00:00.000Z");
    });
    const answer = await compare(single, bulk, ["e", "f", "g"]);
    expect(answer.entities.map((e: { status: string }) => e.status)).toEqual([
      "active",
      "blocked",
      "blocked",
    ]);
  });
});

describe("entity lookups", () => {
  it("answers status and accessibility per id, in order, unknown for ids never reported", async () => {
    const ws = await workspace(2);
    await batch(ws, "leads", ["a", "b", "c"]);
    await call("POST", `${api(ws)}/entities/leads/a/close`, {
      role: "service",
      body: { outcome: "lost" },
    });
    await setClock(ws, GRACE_END);
    await create(ws, "leads", "d");
    const r = await lookup(ws, "leads", ["d", "nope", "a", "b", "c", "b"]);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      kind: "leads",
      entities: [
        { id: "d", status: "blocked", accessible: false },
        { id: "nope", status: "unknown", accessible: true },
        { id: "a", status: "closed", accessible: true },
        { id: "b", status: "active", accessible: true },
        { id: "c", status: "active", accessible: true },
        { id: "b", status: "active", accessible: true },
      ],
    });
    // Per kind: a lead's id is unknown among contacts.
    expect((await lookup(ws, "contacts", ["b"])).json.entities[0].status).toBe("unknown");
  });

  it("is a read: it shows a lapsed grace's blocks without applying them", async () => {
    const ws = await workspace(2);
    await batch(ws, "leads", ["a", "b", "c"]);
    // Frozen at T0 + 25 h without running due work: only a read arrives.
    await runInDurableObject(env.WORKSPACE.getByName(ws), (_: WorkspaceObject, state) => {
      state.storage.sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'testClock'",
        JSON.stringify(Date.parse(GRACE_END) + HOUR_MS),
      );
    });
    const before = await storedEvents(ws);
    const r = await lookup(ws, "leads", ["a", "b", "c"]);
    expect(r.json.entities.map((e: { status: string }) => e.status)).toEqual([
      "active",
      "active",
      "blocked",
    ]);
    expect(await storedEvents(ws)).toEqual(before);
  });

  it("is open to every role, takes 1,000 ids and refuses 1,001", async () => {
    const ws = await workspace();
    for (const role of ["viewer", "service"] as const) {
      expect((await lookup(ws, "leads", ["a"], role)).status).toBe(200);
    }
    expect((await lookup(ws, "leads", ids("x", 1_000))).json.entities).toHaveLength(1_000);
    const over = await lookup(ws, "leads", ids("x", 1_001));
    expect(over.status).toBe(400);
    expect(over.json.error.details.map((d: { path: string }) => d.path)).toEqual(["ids"]);
  });
});

describe("channel batches", () => {
  const channelBatch = (
    ws: string,
    kind: string,
    channels: unknown,
    opts: { role?: "service" | "platform" | "viewer"; key?: string } = {},
  ) =>
    call("POST", `${api(ws)}/channels/${kind}/batch`, {
      role: opts.role ?? "platform",
      body: { channels },
      headers: opts.key === undefined ? {} : { "idempotency-key": opts.key },
    });

  it("lets the platform import existing connections, grandfathered before the cut-over", async () => {
    const ws = await workspace();
    const r = await channelBatch(ws, "whatsapp", [
      { id: "+1", connectedAt: "2025-12-01T00:00:00Z" },
      { id: "+2", connectedAt: "2026-06-02T00:00:00Z" },
      { id: "+3" },
    ]);
    expect(r.status).toBe(200);
    expect(
      r.json.channels.map((c: { id: string; grandfathered: boolean; connectedAt: string }) => [
        c.id,
        c.grandfathered,
        c.connectedAt,
      ]),
    ).toEqual([
      ["+1", true, "2025-12-01T00:00:00.000Z"],
      ["+2", false, "2026-06-02T00:00:00.000Z"],
      ["+3", false, T0],
    ]);
    // Base with 1 seat: the grandfathered one counts; the 2nd new one starts the grace.
    expect(r.json.channels.map((c: { grace?: unknown }) => c.grace !== undefined)).toEqual([
      false,
      true,
      true,
    ]);
    expect(r.json.usage).toMatchObject({ used: 3, limit: 1, state: "grace", grandfathered: 1 });
  });

  it("lets a service connect at now only: any connectedAt is a 403 and nothing is connected", async () => {
    const ws = await workspace();
    const ok = await channelBatch(ws, "instagram", [{ id: "a" }, { id: "b" }], {
      role: "service",
    });
    expect(ok.status).toBe(200);
    const refused = await channelBatch(
      ws,
      "instagram",
      [{ id: "c" }, { id: "d", connectedAt: T0 }],
      {
        role: "service",
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toMatch(/channels\.1\.connectedAt/);
    expect((await usage(ws)).instagram.used).toBe(2);
    expect((await channelBatch(ws, "instagram", [{ id: "e" }], { role: "viewer" })).status).toBe(
      403,
    );
  });

  it("refuses a connectedAt after now with a 400 naming it, and more than 1,000 channels", async () => {
    const ws = await workspace();
    const future = await channelBatch(ws, "whatsapp", [
      { id: "a" },
      { id: "b", connectedAt: "2026-07-15T00:00:01Z" },
    ]);
    expect(future.status).toBe(400);
    expect(future.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      "channels.1.connectedAt",
    ]);
    const over = await channelBatch(
      ws,
      "whatsapp",
      ids("n", 1_001).map((id) => ({ id })),
    );
    expect(over.status).toBe(400);
    expect(over.json.error.details.map((d: { path: string }) => d.path)).toEqual(["channels"]);
    expect((await usage(ws)).whatsapp.used).toBe(0);
  });

  it("decides like single connects, and a retried batch is applied once", {
    timeout: 60_000,
  }, async () => {
    const single = await workspace();
    const bulk = await workspace();
    const sent = [
      { id: "g", connectedAt: "2026-01-01T00:00:00Z" },
      { id: "a" },
      { id: "b" },
      { id: "a" },
    ];
    const singles = [];
    for (const body of sent) {
      singles.push((await call("POST", `${api(single)}/channels/whatsapp`, { body })).json);
    }
    const r = await channelBatch(bulk, "whatsapp", sent, { key: "import" });
    expect(r.json.channels).toEqual(singles);
    expect(await usage(bulk)).toEqual(await usage(single));
    const again = await channelBatch(bulk, "whatsapp", sent, { key: "import" });
    expect(again.text).toBe(r.text);
    expect((await usage(bulk)).whatsapp.used).toBe(3);
    expect(await storedEvents(bulk)).toEqual(await storedEvents(single));
    // 1,000 channels fit in one call (a body over 64 KiB with connectedAt).
    const many = ids("", 1_000).map((n) => ({
      id: `+55119${n.padStart(8, "0")}`,
      connectedAt: "2026-05-01T00:00:00.000Z",
    }));
    const big = await channelBatch(bulk, "instagram", many);
    expect(big.status).toBe(200);
    expect(big.json.usage).toMatchObject({ used: 1_000, grandfathered: 1_000, state: "ok" });
  });
});

describe("the OpenAPI document", () => {
  it("documents the bulk routes and entity_blocked on close and reopen", async () => {
    const doc = (await call("GET", "/openapi.json", { token: "" })).json;
    const paths = doc.paths as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    for (const path of [
      "/v1/workspaces/{ws}/entities/{kind}/batch",
      "/v1/workspaces/{ws}/entities/{kind}/lookup",
      "/v1/workspaces/{ws}/channels/{kind}/batch",
    ]) {
      expect(paths[path]?.post, path).toBeDefined();
    }
    for (const op of ["close", "reopen"]) {
      const conflict = JSON.stringify(
        paths[`/v1/workspaces/{ws}/entities/leads/{id}/${op}`]?.post?.responses["409"],
      );
      expect(conflict, op).toContain("entity_blocked");
    }
    // A read: no Idempotency-Key is offered on lookups.
    expect(JSON.stringify(paths["/v1/workspaces/{ws}/entities/{kind}/lookup"])).not.toContain(
      "idempotency-key",
    );
  });
});
