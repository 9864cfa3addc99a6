import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { QuotaPlatform, QuotaService, QuotaWorkspace } from "../../src/entrypoints";
import { OPERATIONS, PLATFORM_OPERATIONS } from "../../src/operations";
import { BUILT_IN_CATALOGUE } from "../../src/policy/catalogue";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";
import { platform, service, viaBinding } from "./bindings";

/**
 * The service-binding entrypoints, called by a second Worker through real service bindings,
 * against the HTTP API of the same Worker: the same decisions, figures, errors and
 * idempotency, and no platform power through QuotaService.
 */

type Role = "service" | "platform";
type Ctx = { reservations: string[] };
interface Step {
  /** The operation (and binding method) name. */
  op: string;
  role: Role;
  http: (ws: string, ctx: Ctx) => [method: string, path: string, body?: unknown];
  args: (ws: string, ctx: Ctx) => unknown[];
  /** Sent as Idempotency-Key over HTTP and `{ idempotencyKey }` over the binding. */
  key?: string;
}

const spend = { feature: "ai_rewriter", credits: 40 };
const p = (ws: string, rest: string) => `/v1/workspaces/${ws}${rest}`;

/** One of everything a caller does, errors included, in an order that exercises the state. */
const STEPS: Step[] = [
  {
    op: "putSubscription",
    role: "platform",
    http: (ws) => [
      "PUT",
      p(ws, "/subscription"),
      { plan: "advanced", seats: 2, periodAnchor: "2026-07-01T00:00:00Z" },
    ],
    args: (ws) => [ws, { plan: "advanced", seats: 2, periodAnchor: "2026-07-01T00:00:00Z" }],
    key: "sub-1",
  },
  {
    op: "subscription",
    role: "service",
    http: (ws) => ["GET", p(ws, "/subscription")],
    args: (ws) => [ws],
  },
  {
    op: "check",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/check"), spend],
    args: (ws) => [ws, spend],
  },
  {
    op: "consume",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/consume"), spend],
    args: (ws) => [ws, spend],
    key: "consume-1",
  },
  {
    op: "consume",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/consume"), { feature: "ai_agent", credits: 5 }],
    args: (ws) => [ws, { feature: "ai_agent", credits: 5 }],
  },
  {
    op: "reserve",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/reservations"), { ...spend, ttlSeconds: 120 }],
    args: (ws) => [ws, { ...spend, ttlSeconds: 120 }],
    key: "reserve-1",
  },
  {
    op: "reserve",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/reservations"), { feature: "ai_summarize", credits: 7 }],
    args: (ws) => [ws, { feature: "ai_summarize", credits: 7 }],
  },
  {
    op: "commit",
    role: "service",
    http: (ws, c) => [
      "POST",
      p(ws, `/credits/reservations/${c.reservations[0]}/commit`),
      { credits: 55 },
    ],
    args: (ws, c) => [ws, c.reservations[0], { credits: 55 }],
    key: "commit-1",
  },
  {
    op: "commit",
    role: "service",
    http: (ws, c) => [
      "POST",
      p(ws, `/credits/reservations/${c.reservations[0]}/commit`),
      { credits: 1 },
    ],
    args: (ws, c) => [ws, c.reservations[0], { credits: 1 }],
  },
  {
    op: "release",
    role: "service",
    http: (ws, c) => ["POST", p(ws, `/credits/reservations/${c.reservations[1]}/release`)],
    args: (ws, c) => [ws, c.reservations[1]],
    key: "release-1",
  },
  {
    op: "reservation",
    role: "service",
    http: (ws, c) => ["GET", p(ws, `/credits/reservations/${c.reservations[0]}`)],
    args: (ws, c) => [ws, c.reservations[0]],
  },
  {
    op: "creditLedgerEntry",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/ledger/1")],
    args: (ws) => [ws, 1],
  },
  {
    op: "creditLedgerEntry",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/ledger/999")],
    args: (ws) => [ws, 999],
  },
  {
    op: "liveTicket",
    role: "service",
    http: (ws) => ["POST", p(ws, "/live/ticket")],
    args: (ws) => [ws],
  },
  {
    op: "consumeCopilotQuestion",
    role: "service",
    http: (ws) => ["POST", p(ws, "/copilot-questions/consume")],
    args: (ws) => [ws],
    key: "question-1",
  },
  {
    op: "setFeatureLimit",
    role: "platform",
    http: (ws) => ["PUT", p(ws, "/credits/feature-limits/ai_rewriter"), { limit: 100 }],
    args: (ws) => [ws, "ai_rewriter", { limit: 100 }],
  },
  {
    op: "consume",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/consume"), { feature: "ai_rewriter", credits: 50 }],
    args: (ws) => [ws, { feature: "ai_rewriter", credits: 50 }],
  },
  {
    op: "putCreditPackage",
    role: "platform",
    http: (ws) => [
      "POST",
      p(ws, "/credit-packages"),
      { id: "pkg-1", credits: 500, expiresAt: "2027-07-01T00:00:00Z" },
    ],
    args: (ws) => [ws, { id: "pkg-1", credits: 500, expiresAt: "2027-07-01T00:00:00Z" }],
    key: "package-1",
  },
  { op: "credits", role: "service", http: (ws) => ["GET", p(ws, "/credits")], args: (ws) => [ws] },
  {
    op: "creditsDaily",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/daily")],
    args: (ws) => [ws],
  },
  {
    op: "creditLedger",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/ledger?limit=3")],
    args: (ws) => [ws, { limit: 3 }],
  },
  {
    op: "creditLedger",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/ledger?order=newest&kind=debit&from=3&limit=2")],
    args: (ws) => [ws, { order: "newest", kind: "debit", from: 3, limit: 2 }],
  },
  {
    op: "creditStatements",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/statements?limit=5")],
    args: (ws) => [ws, { limit: 5 }],
  },
  {
    // No period has closed yet: the same 404 both ways.
    op: "creditStatement",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/statements/2026-06-01T00:00:00Z")],
    args: (ws) => [ws, "2026-06-01T00:00:00Z"],
  },
  {
    op: "createEntity",
    role: "service",
    http: (ws) => ["POST", p(ws, "/entities/leads"), { id: "lead-1" }],
    args: (ws) => [ws, "leads", { id: "lead-1" }],
    key: "lead-1",
  },
  {
    op: "createEntity",
    role: "service",
    http: (ws) => ["POST", p(ws, "/entities/contacts"), { id: "c/1" }],
    args: (ws) => [ws, "contacts", { id: "c/1" }],
  },
  {
    op: "createEntities",
    role: "service",
    http: (ws) => ["POST", p(ws, "/entities/leads/batch"), { ids: ["lead-2", "lead-1", "lead-3"] }],
    args: (ws) => [ws, "leads", { ids: ["lead-2", "lead-1", "lead-3"] }],
    key: "leads-batch-1",
  },
  {
    op: "lookupEntities",
    role: "service",
    http: (ws) => ["POST", p(ws, "/entities/leads/lookup"), { ids: ["lead-3", "nobody"] }],
    args: (ws) => [ws, "leads", { ids: ["lead-3", "nobody"] }],
  },
  {
    op: "closeLead",
    role: "service",
    http: (ws) => ["POST", p(ws, "/entities/leads/lead-1/close"), { outcome: "won" }],
    args: (ws) => [ws, "lead-1", { outcome: "won" }],
  },
  {
    op: "reopenLead",
    role: "service",
    http: (ws) => ["POST", p(ws, "/entities/leads/lead-1/reopen")],
    args: (ws) => [ws, "lead-1"],
  },
  {
    op: "entity",
    role: "service",
    http: (ws) => ["GET", p(ws, "/entities/contacts/c%2F1")],
    args: (ws) => [ws, "contacts", "c/1"],
  },
  {
    op: "deleteEntity",
    role: "service",
    http: (ws) => ["DELETE", p(ws, "/entities/contacts/c%2F1")],
    args: (ws) => [ws, "contacts", "c/1"],
  },
  {
    op: "entity",
    role: "service",
    http: (ws) => ["GET", p(ws, "/entities/leads/nope")],
    args: (ws) => [ws, "leads", "nope"],
  },
  {
    op: "connectChannel",
    role: "service",
    http: (ws) => ["POST", p(ws, "/channels/whatsapp"), { id: "+5511999990001" }],
    args: (ws) => [ws, "whatsapp", { id: "+5511999990001" }],
    key: "wa-1",
  },
  {
    op: "connectChannel",
    role: "service",
    http: (ws) => [
      "POST",
      p(ws, "/channels/instagram"),
      { id: "insta", connectedAt: "2026-01-01T00:00:00Z" },
    ],
    args: (ws) => [ws, "instagram", { id: "insta", connectedAt: "2026-01-01T00:00:00Z" }],
  },
  {
    op: "connectChannel",
    role: "platform",
    http: (ws) => [
      "POST",
      p(ws, "/channels/instagram"),
      { id: "insta", connectedAt: "2026-01-01T00:00:00Z" },
    ],
    args: (ws) => [ws, "instagram", { id: "insta", connectedAt: "2026-01-01T00:00:00Z" }],
  },
  {
    op: "connectChannels",
    role: "platform",
    http: (ws) => [
      "POST",
      p(ws, "/channels/whatsapp/batch"),
      { channels: [{ id: "+1", connectedAt: "2026-01-01T00:00:00Z" }, { id: "+2" }] },
    ],
    args: (ws) => [
      ws,
      "whatsapp",
      { channels: [{ id: "+1", connectedAt: "2026-01-01T00:00:00Z" }, { id: "+2" }] },
    ],
    key: "wa-batch-1",
  },
  {
    op: "connectChannels",
    role: "service",
    http: (ws) => [
      "POST",
      p(ws, "/channels/whatsapp/batch"),
      { channels: [{ id: "+3", connectedAt: "2026-01-01T00:00:00Z" }] },
    ],
    args: (ws) => [
      ws,
      "whatsapp",
      { channels: [{ id: "+3", connectedAt: "2026-01-01T00:00:00Z" }] },
    ],
  },
  {
    op: "channels",
    role: "service",
    http: (ws) => ["GET", p(ws, "/channels/instagram?pageSize=1")],
    args: (ws) => [ws, "instagram", { pageSize: 1 }],
  },
  {
    op: "disconnectChannel",
    role: "service",
    http: (ws) => ["DELETE", p(ws, "/channels/whatsapp/%2B5511999990001")],
    args: (ws) => [ws, "whatsapp", "+5511999990001"],
  },
  {
    op: "createAgent",
    role: "platform",
    http: (ws) => ["POST", p(ws, "/agents"), { id: "a1", name: "Holiday campaign" }],
    args: (ws) => [ws, { id: "a1", name: "Holiday campaign" }],
    key: "agent-1",
  },
  {
    op: "activateAgent",
    role: "platform",
    http: (ws) => ["POST", p(ws, "/agents/a1/activate")],
    args: (ws) => [ws, "a1"],
  },
  { op: "agents", role: "service", http: (ws) => ["GET", p(ws, "/agents")], args: (ws) => [ws] },
  {
    op: "setAgentLimit",
    role: "platform",
    http: (ws) => ["PUT", p(ws, "/credits/agent-limits/a1"), { limit: 20 }],
    args: (ws) => [ws, "a1", { limit: 20 }],
    key: "agent-limit-1",
  },
  {
    op: "consume",
    role: "service",
    http: (ws) => ["POST", p(ws, "/credits/consume"), { ...spend, agentId: "a1", credits: 21 }],
    args: (ws) => [ws, { ...spend, agentId: "a1", credits: 21 }],
  },
  {
    op: "putCreditTopup",
    role: "platform",
    http: (ws) => [
      "POST",
      p(ws, "/credit-topups"),
      { id: "top-1", credits: 300, expiresAt: "2027-07-01T00:00:00Z" },
    ],
    args: (ws) => [ws, { id: "top-1", credits: 300, expiresAt: "2027-07-01T00:00:00Z" }],
    key: "topup-1",
  },
  {
    op: "putAlertRule",
    role: "platform",
    http: (ws) => [
      "PUT",
      p(ws, "/credits/alerts/pool-90"),
      { metric: "percentUsed", threshold: 90, scope: { pool: true } },
    ],
    args: (ws) => [ws, "pool-90", { metric: "percentUsed", threshold: 90, scope: { pool: true } }],
    key: "rule-1",
  },
  {
    op: "alertRule",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/alerts/pool-90")],
    args: (ws) => [ws, "pool-90"],
  },
  {
    op: "alertRules",
    role: "service",
    http: (ws) => ["GET", p(ws, "/credits/alerts")],
    args: (ws) => [ws],
  },
  {
    op: "deleteAlertRule",
    role: "platform",
    http: (ws) => ["DELETE", p(ws, "/credits/alerts/pool-90")],
    args: (ws) => [ws, "pool-90"],
  },
  {
    op: "deactivateAgent",
    role: "platform",
    http: (ws) => ["POST", p(ws, "/agents/a1/deactivate")],
    args: (ws) => [ws, "a1"],
  },
  {
    op: "deleteAgent",
    role: "platform",
    http: (ws) => ["DELETE", p(ws, "/agents/a1")],
    args: (ws) => [ws, "a1"],
  },
  {
    op: "setTestClock",
    role: "platform",
    http: (ws) => ["PUT", p(ws, "/test-clock"), { now: "2026-07-20T10:00:00Z" }],
    args: (ws) => [ws, { now: "2026-07-20T10:00:00Z" }],
  },
  { op: "usage", role: "service", http: (ws) => ["GET", p(ws, "/usage")], args: (ws) => [ws] },
  {
    op: "events",
    role: "service",
    http: (ws) => ["GET", p(ws, "/events?limit=100")],
    args: (ws) => [ws, { limit: 100 }],
  },
];

/** Reservation ids are random: note them in order of appearance, to reuse and to compare. */
function noteReservation(answer: unknown, ctx: Ctx) {
  const id = (answer as { reservationId?: unknown }).reservationId;
  if (typeof id === "string" && !ctx.reservations.includes(id)) ctx.reservations.push(id);
}

/** The answer with what must differ between two workspaces replaced by stable names. */
function normalized(answer: unknown, ws: string, ctx: Ctx): unknown {
  let text = JSON.stringify(answer).replaceAll(ws, "WS");
  ctx.reservations.forEach((id, i) => {
    text = text.replaceAll(id, `RESERVATION-${i}`);
  });
  // Event ids are random too; their order and content are what must agree. Cursors are signed
  // by their workspace, so two workspaces' cursors to the same position differ.
  text = text.replace(/"id":"evt_[^"]+"/g, '"id":"EVENT"');
  text = text.replace(/"nextCursor":"[^"]+"/g, '"nextCursor":"CURSOR"');
  // A live ticket is random; its shape, lapse and path must agree.
  text = text.replace(/[A-Za-z0-9_-]{43}(?=")/g, "TICKET");
  return JSON.parse(text);
}

async function runOverHttp(ws: string) {
  const ctx: Ctx = { reservations: [] };
  const answers: unknown[] = [];
  for (const step of STEPS) {
    const [method, path, body] = step.http(ws, ctx);
    const headers: Record<string, string> = step.key ? { "idempotency-key": step.key } : {};
    const r = await call(method, path, { role: step.role, body, headers });
    noteReservation(r.json, ctx);
    answers.push(normalized(withoutRequestId(r), ws, ctx));
  }
  return answers;
}

/**
 * An HTTP answer without its request's id: HTTP alone carries one (the `x-request-id` header,
 * and `error.requestId` in an error body, docs/api.md#errors); a binding call has no request.
 */
function withoutRequestId(r: { json: unknown; headers: Headers }): unknown {
  const body = r.json as { error?: { requestId?: unknown } };
  if (body?.error === undefined) return body;
  expect(body.error.requestId).toBe(r.headers.get("x-request-id"));
  const { requestId: _, ...error } = body.error;
  return { ...body, error };
}

async function runOverBindings(ws: string) {
  const ctx: Ctx = { reservations: [] };
  const answers: unknown[] = [];
  for (const step of STEPS) {
    const binding = step.role === "service" ? "SERVICE" : "PLATFORM";
    const args = step.args(ws, ctx);
    if (step.key) args.push({ idempotencyKey: step.key });
    const answer = await viaBinding(binding, step.op, ...args);
    noteReservation(answer, ctx);
    answers.push(normalized(answer, ws, ctx));
  }
  return answers;
}

describe("QuotaService and QuotaPlatform over service bindings", () => {
  it("answer every operation with the same JSON as HTTP, errors included", async () => {
    const overHttp = freshWorkspace("http");
    const overBinding = freshWorkspace("rpc");
    // Both workspaces live at the same frozen instant, so every figure and time can agree.
    for (const ws of [overHttp, overBinding]) await setClock(ws, "2026-07-15T09:00:00Z");

    const http = await runOverHttp(overHttp);
    const rpc = await runOverBindings(overBinding);
    for (const [i, step] of STEPS.entries()) {
      expect(rpc[i], `step ${i}: ${step.op}`).toEqual(http[i]);
    }
    // Every operation was compared, and the sequence met refusals and errors too.
    expect(new Set(STEPS.map((s) => s.op))).toEqual(new Set(OPERATIONS.keys()));
    const summary = JSON.stringify(http);
    for (const expected of [
      '"code":"reservation_already_committed"',
      '"reason":"feature_limit_reached"',
      '"code":"forbidden"',
      '"code":"not_found"',
      // Receipts agree too: the first spend's own entry, and the ledger lookup by it.
      '"receipt":{"seq":1,"at":"2026-07-15T09:00:00.000Z"}',
      '"id":1,"at":"2026-07-15T09:00:00.000Z","kind":"debit"',
    ]) {
      expect(summary).toContain(expected);
    }
  });

  it("charges a key once, whether the retry comes over the binding or over HTTP", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const body = { feature: "ai_rewriter", credits: 30 };
    const first = await service("consume", ws, body, { idempotencyKey: "spend-1" });
    expect(first).toMatchObject({ allowed: true, used: 30 });
    expect(first).not.toHaveProperty("replayed");
    // The replay is the first answer, marked as one (HTTP marks it with its header instead).
    expect(await service("consume", ws, body, { idempotencyKey: "spend-1" })).toEqual({
      ...first,
      replayed: true,
    });

    // The same key and request over HTTP is a replay of the binding's call, byte for byte.
    const headers = { "idempotency-key": "spend-1" };
    const replay = await call("POST", `/v1/workspaces/${ws}/credits/consume`, {
      role: "service",
      body: { credits: 30, feature: "ai_rewriter" },
      headers,
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json).toEqual(first);

    // Another request under the key is a conflict on both ways in, and charges nothing.
    const other = { feature: "ai_rewriter", credits: 31 };
    const conflict = await call("POST", `/v1/workspaces/${ws}/credits/consume`, {
      role: "service",
      body: other,
      headers,
    });
    expect(conflict.status).toBe(409);
    const viaRpc = await service("consume", ws, other, { idempotencyKey: "spend-1" });
    expect(viaRpc).toEqual(withoutRequestId(conflict));
    expect(viaRpc.error.code).toBe("idempotency_conflict");

    // HTTP first, then the binding: a reserve and its commit on a percent-encoded path.
    const reserved = await call("POST", `/v1/workspaces/${ws}/credits/reservations`, {
      role: "service",
      body: { feature: "ai_agent", credits: 10 },
      headers: { "idempotency-key": "hold-1" },
    });
    const id: string = reserved.json.reservationId;
    expect(
      await service(
        "reserve",
        ws,
        { feature: "ai_agent", credits: 10 },
        { idempotencyKey: "hold-1" },
      ),
    ).toEqual({ ...reserved.json, replayed: true });
    const committed = await service("commit", ws, id, { credits: 12 }, { idempotencyKey: "pay-1" });
    expect(committed).toMatchObject({ state: "committed", charged: 12 });
    const encoded = id.replace("_", "%5F");
    const again = await call(
      "POST",
      `/v1/workspaces/${ws}/credits/reservations/${encoded}/commit`,
      {
        role: "service",
        body: { credits: 12 },
        headers: { "idempotency-key": "pay-1" },
      },
    );
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json).toEqual(committed);

    const credits = await service("credits", ws);
    expect(credits).toMatchObject({ used: 30 + 12, held: 0 });
  });

  it("marks every replay with replayed: true, and no first answer or error", async () => {
    const ws = freshWorkspace("replays");
    await setClock(ws, "2026-07-15T09:00:00Z");
    const ctx: Ctx = { reservations: [] };
    let replays = 0;
    const idempotent = new Set<string>();
    for (const [i, step] of STEPS.entries()) {
      const op = OPERATIONS.get(step.op);
      const binding = step.role === "service" ? "SERVICE" : "PLATFORM";
      const args = step.args(ws, ctx);
      // Only mutations take options; a key on the others would be an extra argument.
      if (op?.idempotent) args.push({ idempotencyKey: step.key ?? `replay-${i}` });
      const first = await viaBinding(binding, step.op, ...args);
      noteReservation(first, ctx);
      expect(first, `step ${i}: ${step.op}`).not.toHaveProperty("replayed");
      const again = await viaBinding(binding, step.op, ...args);
      if (!op?.idempotent || first.error !== undefined) {
        // Reads run again; an error is never recorded under its key, so it runs again too.
        expect(again, `step ${i}: ${step.op} again`).not.toHaveProperty("replayed");
        continue;
      }
      expect(again, `step ${i}: ${step.op} again`).toEqual({ ...first, replayed: true });
      replays++;
      idempotent.add(step.op);
    }
    // Every mutation that answered was replayed at least once.
    const mutations = [...OPERATIONS.values()].filter((op) => op.idempotent).map((op) => op.name);
    expect([...idempotent].sort()).toEqual(mutations.sort());
    expect(replays).toBeGreaterThanOrEqual(mutations.length);
  });

  it("answers a caller's mistake as an error value naming every field, and changes nothing", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const bad = await service(
      "consume",
      ws,
      { feature: "nope", credits: -1, extra: true },
      { idempotencyKey: "" },
    );
    expect(bad.error).toMatchObject({ code: "invalid_request" });
    expect(bad.error.details.map((d: { path: string }) => d.path).sort()).toEqual(
      ["credits", "extra", "feature", "options.idempotencyKey"].sort(),
    );
    // The same body over HTTP names the same fields of the body.
    const http = await call("POST", `/v1/workspaces/${ws}/credits/consume`, {
      role: "service",
      body: { feature: "nope", credits: -1, extra: true },
    });
    expect(http.status).toBe(400);
    expect(
      bad.error.details.filter((d: { path: string }) => d.path !== "options.idempotencyKey"),
    ).toEqual(http.json.error.details);

    for (const [method, args, code] of [
      ["consume", ["not a workspace!", { feature: "ai_rewriter", credits: 1 }], "invalid_request"],
      ["consume", [ws, undefined], "invalid_request"],
      ["consume", [ws, { feature: "ai_rewriter", credits: 1 }, "key"], "invalid_request"],
      ["commit", [ws, "rsv_unknown", { credits: 1 }], "reservation_not_found"],
      ["entity", [ws, "tickets", "1"], "invalid_request"],
      ["usage", [freshWorkspace("none")], "not_found"],
    ] as const) {
      const answer = await service(method, ...args);
      expect(answer, `${method}(${JSON.stringify(args)})`).toEqual({
        error: expect.objectContaining({ code, message: expect.any(String) }),
      });
    }
    expect(await service("credits", ws)).toMatchObject({ used: 0, held: 0 });
  });

  it("gives QuotaService no platform operation, and QuotaPlatform every operation", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const servable = [...OPERATIONS.values()].filter((op) => op.roles.includes("service"));
    const platformOnly = [...OPERATIONS.values()].filter((op) => !op.roles.includes("service"));
    expect(platformOnly.map((op) => op.name).sort()).toEqual(
      [
        "activateAgent",
        "createAgent",
        "deactivateAgent",
        "deleteAgent",
        "deleteAlertRule",
        "putAlertRule",
        "putCreditPackage",
        "putCreditTopup",
        "putSubscription",
        "setAgentLimit",
        "setFeatureLimit",
        "setTestClock",
      ].sort(),
    );

    // A platform method is not there at all, so nothing can reach it: workerd serves over RPC
    // only what the entrypoint's prototype chain holds, and refuses any other name at the call
    // site ("The RPC receiver does not implement the method"). Checked on the chain rather than
    // by calling: under @cloudflare/vitest-plugin the entrypoint is a wrapper that throws that
    // refusal from inside the Worker, which workerd then logs as an uncaught exception.
    for (const op of platformOnly) {
      expect(Reflect.has(QuotaService.prototype, op.name), op.name).toBe(false);
      expect(Reflect.has(QuotaPlatform.prototype, op.name), op.name).toBe(true);
    }
    expect(await service("subscription", ws)).toMatchObject({ plan: "pro", seats: 3 });

    // The classes themselves: exactly the operations, named after them.
    const methods = (proto: object) =>
      Object.getOwnPropertyNames(proto).filter((name) => name !== "constructor");
    expect(methods(QuotaService.prototype).sort()).toEqual(servable.map((op) => op.name).sort());
    expect(
      [...methods(QuotaService.prototype), ...methods(QuotaPlatform.prototype)].sort(),
    ).toEqual([...OPERATIONS.keys(), ...PLATFORM_OPERATIONS.keys()].sort());
    // The platform operations (the fleet's, the catalogue's) are QuotaPlatform's only.
    for (const name of PLATFORM_OPERATIONS.keys()) {
      expect(Reflect.has(QuotaService.prototype, name), name).toBe(false);
      expect(Reflect.has(QuotaPlatform.prototype, name), name).toBe(true);
    }
  });

  it("runs the platform operations as their routes do: the catalogue, the fleet", async () => {
    const draft = {
      plans: BUILT_IN_CATALOGUE.plans,
      featureCosts: BUILT_IN_CATALOGUE.featureCosts,
    };
    const stored = await platform("putCatalogueVersion", "v-binding", draft);
    expect({ id: stored.id, status: stored.status }).toEqual({ id: "v-binding", status: "draft" });
    const overHttp = await call("GET", "/v1/catalogue/versions/v-binding");
    expect(await platform("catalogueVersion", "v-binding")).toEqual(overHttp.json);
    expect((await platform("catalogue")).versions).toEqual(
      (await call("GET", "/v1/catalogue")).json.versions,
    );
    const preview = await platform("previewCatalogueVersion", "v-binding", {});
    expect(preview).toMatchObject({ version: "v-binding", inForce: "2026-06" });
    expect(
      (await platform("previewCatalogueVersion", "v-binding", {}, { format: "csv" })).csv,
    ).toMatch(/^workspaceId,plan,pinned,/);
    const soon = new Date(Date.now() + 60_000).toISOString();
    const early = await platform("publishCatalogueVersion", "v-binding", { effectiveAt: soon });
    expect([early.error.code, early.error.details[0].path]).toEqual([
      "invalid_request",
      "effectiveAt",
    ]);
    expect(await platform("deleteCatalogueVersion", "v-binding")).toEqual({
      id: "v-binding",
      deleted: true,
      withdrawn: false,
    });
    expect((await platform("deleteCatalogueVersion", "nope")).error.code).toBe("not_found");
    const summary = await platform("fleetSummary");
    const summaryOverHttp = (await call("GET", "/v1/fleet/summary")).json;
    expect([summary.workspaces, summary.byPlan]).toEqual([
      summaryOverHttp.workspaces,
      summaryOverHttp.byPlan,
    ]);
    const bad = await platform("fleetWorkspaces", { pageSize: 0 });
    expect(bad.error.code).toBe("invalid_request");
  });

  it("acts as the service role through QuotaService: an import of an old channel is refused", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    const old = { id: "+1", connectedAt: "2026-01-01T00:00:00Z" };
    expect((await service("connectChannel", ws, "whatsapp", old)).error.code).toBe("forbidden");
    expect(await platform("connectChannel", ws, "whatsapp", old)).toMatchObject({
      grandfathered: true,
    });
  });
});

describe("QuotaWorkspace: QuotaService for the one workspace its binding's props name", () => {
  /**
   * The entrypoint as workerd makes it for a binding with these `props` (`ctx.props`); its
   * methods are called directly, since the test Workers' bindings carry no props.
   */
  const scoped = (props: unknown) =>
    new QuotaWorkspace(
      { props, waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext,
      env,
    );
  const spend = { feature: "ai_rewriter", credits: 10 } as const;

  it("acts as the service role in its workspace and refuses every other, changing nothing there", async () => {
    const mine = freshWorkspace("mine");
    const other = freshWorkspace("other");
    for (const ws of [mine, other]) await subscribe(ws);
    const quota = scoped({ workspace: mine });

    expect(await quota.consume(mine, spend, { idempotencyKey: "k" })).toMatchObject({
      allowed: true,
      used: 10,
    });
    const elsewhere = {
      error: {
        code: "forbidden",
        message: expect.stringContaining("another"),
        details: { reason: "binding_scope" },
      },
    };
    for (const [name, call] of [
      ["consume", () => quota.consume(other, spend, { idempotencyKey: "k" })],
      ["check", () => quota.check(other, spend)],
      ["reserve", () => quota.reserve(other, spend)],
      ["usage", () => quota.usage(other)],
      ["createEntity", () => quota.createEntity(other, "leads", { id: "l1" })],
      // A caller's mistake in another workspace's call is still the scope's refusal.
      ["consume (bad body)", () => quota.consume(other, { feature: "nope", credits: -1 } as never)],
    ] as const) {
      expect(await call(), name).toEqual(elsewhere);
    }
    expect(await service("credits", other)).toMatchObject({ used: 0, held: 0 });
    expect(await service("usage", other)).toMatchObject({ leads: { used: 0 } });

    // The service role still: no platform method is there, and nothing else was added.
    expect("putSubscription" in quota).toBe(false);
    expect(Object.getOwnPropertyNames(QuotaWorkspace.prototype)).toEqual(["constructor"]);
  });

  it("refuses everything when its binding names no workspace, rather than reaching them all", async () => {
    const ws = freshWorkspace();
    await subscribe(ws);
    for (const props of [undefined, {}, { workspace: 7 }, { workspace: "" }]) {
      const answer = await scoped(props).check(ws, spend);
      expect(answer, JSON.stringify(props)).toEqual({
        error: {
          code: "forbidden",
          message: expect.any(String),
          details: { reason: "binding_scope" },
        },
      });
    }
  });
});
