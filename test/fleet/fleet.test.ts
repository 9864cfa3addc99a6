import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CallMeta } from "../../src/workspace/context";
import { call, freshWorkspace, token } from "../support/helpers";

/**
 * The fleet index end to end: 30 workspaces driven into known states through their objects,
 * each reporting its row (as its alarm would), then the platform's summary and lists must say
 * exactly what was set up. Date is frozen for the file, so staleness is exact.
 */

const T0 = "2026-08-01T00:00:00.000Z";
const platform: CallMeta = { role: "platform" };
const admin: CallMeta = { role: "admin" };
const service: CallMeta = { role: "service" };
/** One seat: 3 leads, 1 WhatsApp number, 100 credits. */
const SMALL = { leadsPerSeat: 3, whatsappNumbers: 1, aiCreditsPerSeat: 100 };

const stub = (ws: string) => env.WORKSPACE.getByName(ws);

async function subscribe(ws: string, plan: "pro" | "enterprise", overrides = {}) {
  const s = stub(ws);
  expect((await s.setTestClock(Date.parse(T0))).ok).toBe(true);
  const sub = await s.putSubscription(
    ws,
    { plan, seats: 1, periodAnchor: T0, overrides },
    platform,
  );
  expect(sub.ok).toBe(true);
  return s;
}

const groups = {
  grace: [] as string[],
  enforced: [] as string[],
  credits90: [] as string[],
  webhook: [] as string[],
  pro: [] as string[],
  enterprise: [] as string[],
};
const all = () => Object.values(groups).flat();
let reportedAt: number;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * 60_000 });
  await env.FLEET?.exec("DELETE FROM fleet_workspaces");
  await env.FLEET?.exec("DELETE FROM fleet_decisions");
  for (let i = 0; i < 5; i++) {
    const ws = freshWorkspace("fleet-grace");
    const s = await subscribe(ws, "pro", SMALL);
    // 5 leads over a limit of 3: a grace on leads.
    expect((await s.createEntities("leads", ["a", "b", "c", "d", "e"], service)).ok).toBe(true);
    groups.grace.push(ws);
  }
  for (let i = 0; i < 5; i++) {
    const ws = freshWorkspace("fleet-enforced");
    const s = await subscribe(ws, "pro", SMALL);
    // 2 numbers over a limit of 1, then past the 24-hour grace: enforced.
    expect((await s.connectChannels("whatsapp", [{ id: "n1" }, { id: "n2" }], admin)).ok).toBe(
      true,
    );
    expect((await s.setTestClock(Date.parse(T0) + 2 * 86_400_000)).ok).toBe(true);
    groups.enforced.push(ws);
  }
  for (let i = 0; i < 5; i++) {
    const ws = freshWorkspace("fleet-credits");
    const s = await subscribe(ws, "pro", SMALL);
    const spent = await s.consumeCredits({ feature: "ai_rewriter", credits: 90 }, service);
    expect(spent.ok && spent.value.allowed).toBe(true);
    groups.credits90.push(ws);
  }
  for (let i = 0; i < 3; i++) {
    const ws = freshWorkspace("fleet-webhook");
    const s = await subscribe(ws, "pro", SMALL);
    await s.consumeCredits({ feature: "ai_rewriter", credits: 10 }, service);
    // A delivery stuck on a failing receiver, as the webhook tests leave one: pending, retried.
    await runInDurableObject(s, (_instance, state) => {
      state.storage.sql.exec(
        `INSERT INTO events (id, type, occurred_at, data, recorded_at, delivery_status, attempts,
           next_attempt_at, last_error)
         VALUES ('evt-stuck', 'credits.threshold', ?, '{}', ?, 'pending', 4, ?, 'HTTP 500')`,
        Date.parse(T0),
        Date.parse(T0),
        Date.parse(T0) + 3_600_000,
      );
    });
    groups.webhook.push(ws);
  }
  for (let i = 0; i < 7; i++) {
    const ws = freshWorkspace("fleet-pro");
    await subscribe(ws, "pro");
    groups.pro.push(ws);
  }
  for (let i = 0; i < 5; i++) {
    const ws = freshWorkspace("fleet-ent");
    await subscribe(ws, "enterprise");
    groups.enterprise.push(ws);
  }
  reportedAt = Date.now();
  for (const ws of all()) expect(await stub(ws).reportToFleet()).toBe(true);
  // The rows age 90 s before anyone reads them.
  vi.setSystemTime(reportedAt + 90_000);
  // Thirty workspaces driven through their states: ~8 s alone, more beside other test files
  // (counted, never timed: vitest.config.ts).
}, 60_000);

const get = async (path: string, role = "platform", ws = "*") => {
  const answer = await call("GET", path, { token: await token(ws, role as "platform") });
  return answer;
};

const sorted = (ids: string[]) => [...ids].sort();

describe("GET /v1/fleet/summary", () => {
  it("counts every workspace by plan, by each limit's state, by credits used, and the webhook backlog", async () => {
    const { status, json } = await get("/v1/fleet/summary");
    expect(status).toBe(200);
    expect(json.workspaces).toBe(30);
    expect(json.byPlan).toEqual({ pro: 25, enterprise: 5 });
    expect(json.limits.leads).toEqual({ ok: 25, grace: 5, enforced: 0 });
    expect(json.limits.whatsapp).toEqual({ ok: 25, grace: 0, enforced: 5 });
    expect(json.limits.contactsAndCompanies).toEqual({ ok: 30, grace: 0, enforced: 0 });
    expect(json.limits.instagram).toEqual({ ok: 30, grace: 0, enforced: 0 });
    expect(json.credits).toEqual({ "0-50": 25, "50-80": 0, "80-100": 5, over: 0 });
    expect(json.webhooks).toMatchObject({
      workspacesWithPending: 3,
      pendingDeliveries: 3,
      oldestAt: T0,
    });
    expect(json.reports.maxStaleSeconds).toBe(90);
  });
});

describe("GET /v1/fleet/workspaces", () => {
  const ids = (json: { workspaces: { workspaceId: string }[] }) =>
    json.workspaces.map((w) => w.workspaceId);

  it("lists the workspaces in grace on leads, with the grace's end and how stale each row is", async () => {
    const { status, json } = await get(
      "/v1/fleet/workspaces?limit=leads&state=grace&sort=graceEnds",
    );
    expect(status).toBe(200);
    expect(sorted(ids(json))).toEqual(sorted(groups.grace));
    for (const row of json.workspaces) {
      expect(row.limits.leads).toMatchObject({ used: 5, limit: 3, state: "grace" });
      expect(row.limits.leads.graceEndsAt).not.toBeNull();
      expect(row.staleSeconds).toBe(90);
      expect(row.reportedAt).toBe(new Date(reportedAt).toISOString());
    }
  });

  it("lists the enforced ones (any limit) and the near-exhausted ones by percent", async () => {
    const enforced = await get("/v1/fleet/workspaces?state=enforced");
    expect(sorted(ids(enforced.json))).toEqual(sorted(groups.enforced));
    expect(enforced.json.workspaces[0].limits.whatsapp.state).toBe("enforced");
    const near = await get("/v1/fleet/workspaces?limit=credits&minPercent=80&sort=percent");
    expect(sorted(ids(near.json))).toEqual(sorted(groups.credits90));
    expect(
      near.json.workspaces.every((w: { credits: { percent: number } }) => w.credits.percent === 90),
    ).toBe(true);
  });

  it("puts the webhook backlog first by age, and filters by plan", async () => {
    const backlog = await get("/v1/fleet/workspaces?sort=webhookAge&pageSize=3");
    expect(sorted(ids(backlog.json))).toEqual(sorted(groups.webhook));
    expect(backlog.json.workspaces[0].webhooks).toMatchObject({ pending: 1, oldestAt: T0 });
    const enterprise = await get("/v1/fleet/workspaces?plan=enterprise");
    expect(sorted(ids(enterprise.json))).toEqual(sorted(groups.enterprise));
  });

  it("pages through everything with opaque cursors bound to their query", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: {
        status: number;
        json: { workspaces: { workspaceId: string }[]; nextCursor: string | null };
      } = await get(`/v1/fleet/workspaces?pageSize=7${after ? `&after=${after}` : ""}`);
      expect(page.status).toBe(200);
      seen.push(...ids(page.json));
      after = page.json.nextCursor;
      if (after !== null) {
        // Opaque: no workspace id or sort key can be read off it as text.
        for (const ws of all()) expect(after).not.toContain(ws);
      }
      pages++;
    } while (after !== null);
    expect(pages).toBe(5);
    expect(seen).toEqual(sorted(all()));

    const first = await get("/v1/fleet/workspaces?pageSize=7");
    const cursor = first.json.nextCursor as string;
    // Its last two characters replaced by two others (never the same ones: a fixed "AA" was
    // already there once in ~4,000 runs, and the cursor then served).
    const altered = `${cursor.slice(0, -2)}${cursor.endsWith("AA") ? "BB" : "AA"}`;
    // The same cursor with another filter, another sort, or altered: a 400 naming `after`.
    for (const other of [
      `/v1/fleet/workspaces?pageSize=7&plan=pro&after=${cursor}`,
      `/v1/fleet/workspaces?pageSize=7&sort=percent&after=${cursor}`,
      `/v1/fleet/workspaces?pageSize=7&after=${altered}`,
      "/v1/fleet/workspaces?after=nonsense",
    ]) {
      const refused = await get(other);
      expect(refused.status, other).toBe(400);
      expect(refused.json.error.details[0].path).toBe("after");
    }
    // The page size is not part of the query: the cursor still serves with another.
    expect(
      (await get(`/v1/fleet/workspaces?pageSize=100&after=${cursor}`)).json.workspaces,
    ).toHaveLength(23);
  });

  it("refuses a page size above 500 and a state on the credits", async () => {
    expect((await get("/v1/fleet/workspaces?pageSize=501")).status).toBe(400);
    const refused = await get("/v1/fleet/workspaces?limit=credits&state=grace");
    expect(refused.status).toBe(400);
    expect(refused.json.error.details[0].path).toBe("state");
  });
});

describe("who may read the fleet", () => {
  const ROUTES = ["/v1/fleet/summary", "/v1/fleet/workspaces", "/v1/fleet/decisions"];

  it("answers 403 to viewer, admin and service tokens, and to a platform token of one workspace", async () => {
    for (const path of ROUTES) {
      for (const role of ["viewer", "admin", "service"]) {
        const answer = await get(path, role, "acme");
        expect(answer.status, `${role} ${path}`).toBe(403);
        expect(answer.json.error.code).toBe("forbidden");
        expect(answer.json.error.details).toEqual({ reason: "role_not_allowed" });
        // Like every answer: its request id, in the error body and the header alike.
        expect(answer.json.error.requestId).toBe(answer.headers.get("x-request-id"));
      }
      const oneWorkspace = await get(path, "platform", "acme");
      expect(oneWorkspace.status).toBe(403);
      expect(oneWorkspace.json.error.details).toEqual({ reason: "not_every_workspace" });
      expect((await get(path, "platform", "*")).status).toBe(200);
      expect((await call("GET", path, { token: "" })).status).toBe(401);
    }
  });
});
