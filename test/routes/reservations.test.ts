import { describe, expect, it } from "vitest";
import {
  commit,
  consume,
  credits,
  expectCountersMatchLedger,
  inObject,
  release,
  reserve,
  rows,
  setLimit,
  setup,
} from "../support/credits";
import { api, call, freshWorkspace, setClock } from "../support/helpers";

const ONE_SEAT_PRO = { plan: "pro", seats: 1, periodAnchor: "2026-07-15T00:00:00Z" };

describe("reservations", () => {
  it("holds an estimate, then charges the actual cost on commit", async () => {
    const ws = freshWorkspace();
    await setup(ws, ONE_SEAT_PRO);
    const r = await reserve(ws, "ai_agent", 30, 120);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      allowed: true,
      feature: "ai_agent",
      credits: 30,
      used: 0,
      held: 30,
      remaining: 2_220,
      featureHeld: 30,
      ttlSeconds: 120,
      expiresAt: "2026-07-20T00:02:00.000Z",
    });
    expect(r.json.reservationId).toMatch(/^rsv_[0-9a-f]{32}$/);
    expect(r.json.message).toContain("expires at 2026-07-20 00:02 UTC");
    expect((await credits(ws)).json).toMatchObject({ used: 0, held: 30, remaining: 2_220 });

    const c = await commit(ws, r.json.reservationId, 25);
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({
      reservationId: r.json.reservationId,
      state: "committed",
      feature: "ai_agent",
      reserved: 30,
      charged: 25,
      overrun: 0,
      committedAt: "2026-07-20T00:00:00.000Z",
      used: 25,
      held: 0,
      remaining: 2_225,
      featureUsed: 25,
      featureHeld: 0,
    });
    const view = await call("GET", `${api(ws)}/credits/reservations/${r.json.reservationId}`, {
      role: "viewer",
    });
    expect(view.json).toEqual({
      reservationId: r.json.reservationId,
      feature: "ai_agent",
      credits: 30,
      state: "committed",
      createdAt: "2026-07-20T00:00:00.000Z",
      expiresAt: "2026-07-20T00:02:00.000Z",
      charged: 25,
      closedAt: "2026-07-20T00:00:00.000Z",
    });
    await expectCountersMatchLedger(ws);
  });

  it("defaults the TTL to 60 seconds", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const r = await reserve(ws, "copilot", 5);
    expect(r.json).toMatchObject({ ttlSeconds: 60, expiresAt: "2026-07-20T00:01:00.000Z" });
  });

  it("charges an overrun in full, lets remaining go negative, and then refuses spends", async () => {
    const ws = freshWorkspace();
    await setup(ws, ONE_SEAT_PRO);
    await consume(ws, "ai_rewriter", 2_200);
    const r = await reserve(ws, "ai_agent", 50);
    expect(r.json).toMatchObject({ allowed: true, remaining: 0 });
    const c = await commit(ws, r.json.reservationId, 80);
    expect(c.json).toMatchObject({
      charged: 80,
      overrun: 30,
      used: 2_280,
      held: 0,
      remaining: -30,
    });
    expect(c.json.message).toContain("30 credits over its balance");
    const next = await consume(ws, "ai_rewriter", 1);
    expect(next.json).toMatchObject({
      allowed: false,
      reason: "insufficient_credits",
      remaining: -30,
    });
    expect((await credits(ws)).json).toMatchObject({
      used: 2_280,
      remaining: -30,
      percentUsed: 101.33,
    });
    await expectCountersMatchLedger(ws);
  });

  it("charges an overrun even past the feature's cap", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    await setLimit(ws, "ai_agent", 40);
    const r = await reserve(ws, "ai_agent", 40);
    expect((await reserve(ws, "ai_agent", 1)).json.reason).toBe("feature_limit_reached");
    const c = await commit(ws, r.json.reservationId, 55);
    expect(c.json).toMatchObject({ charged: 55, overrun: 15, featureRemaining: -15 });
  });

  it("commits 0 as nothing charged", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const r = await reserve(ws, "ai_agent", 40);
    const c = await commit(ws, r.json.reservationId, 0);
    expect(c.json).toMatchObject({ charged: 0, overrun: 0, used: 0, held: 0, remaining: 6_750 });
    await expectCountersMatchLedger(ws);
  });

  it("releases a hold without charging", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const r = await reserve(ws, "copilot", 70);
    const rel = await release(ws, r.json.reservationId);
    expect(rel.status).toBe(200);
    expect(rel.json).toMatchObject({
      reservationId: r.json.reservationId,
      state: "released",
      reserved: 70,
      released: 70,
      used: 0,
      held: 0,
      remaining: 6_750,
    });
    await expectCountersMatchLedger(ws);
  });

  it("refuses a reservation like a consume, and a refusal holds nothing", async () => {
    const ws = freshWorkspace();
    await setup(ws, ONE_SEAT_PRO);
    const r = await reserve(ws, "ai_agent", 2_251);
    expect(r.json).toMatchObject({
      allowed: false,
      reason: "insufficient_credits",
      reservationId: null,
      expiresAt: null,
      held: 0,
    });
    // Holds count against remaining for everyone else.
    await reserve(ws, "ai_agent", 2_000);
    expect((await consume(ws, "copilot", 251)).json).toMatchObject({
      allowed: false,
      reason: "insufficient_credits",
      remaining: 250,
      held: 2_000,
    });
    expect((await credits(ws)).json.held).toBe(2_000);
  });

  it("answers each closed or unknown reservation with its own 409 and never charges twice", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const a = (await reserve(ws, "copilot", 10)).json.reservationId;
    const b = (await reserve(ws, "copilot", 20)).json.reservationId;
    const e = (await reserve(ws, "copilot", 30, 5)).json.reservationId;
    await commit(ws, a, 12);
    await release(ws, b);
    await setClock(ws, "2026-07-20T00:00:05.000Z");
    const cases = [
      [a, "reservation_already_committed"],
      [b, "reservation_already_released"],
      [e, "reservation_expired"],
      ["rsv_nope", "reservation_not_found"],
    ] as const;
    for (const [id, code] of cases) {
      for (const attempt of [() => commit(ws, id, 10), () => release(ws, id)]) {
        const r = await attempt();
        expect(r.status, code).toBe(409);
        expect(r.json.error.code).toBe(code);
        expect(r.json.error.message.length).toBeGreaterThan(20);
      }
    }
    expect((await credits(ws)).json).toMatchObject({ used: 12, held: 0 });
    const view = await call("GET", `${api(ws)}/credits/reservations/${e}`);
    expect(view.json).toMatchObject({ state: "expired", charged: null });
    expect((await call("GET", `${api(ws)}/credits/reservations/rsv_nope`)).status).toBe(404);
    await expectCountersMatchLedger(ws);
  });

  it("frees an expired hold lazily, before any settle, and records the expiry once settled", async () => {
    const ws = freshWorkspace();
    await setup(ws, ONE_SEAT_PRO);
    const id = (await reserve(ws, "ai_agent", 2_000, 30)).json.reservationId;
    await setClock(ws, "2026-07-20T00:00:29.999Z");
    expect((await credits(ws)).json.held).toBe(2_000);
    await setClock(ws, "2026-07-20T00:00:30.000Z");
    // The test clock ran due work; the ledger says when the hold lapsed.
    const expiries = await inObject(ws, (sql) =>
      rows(sql, "SELECT kind, credits, at, role FROM credit_ledger WHERE reservation_id = ?", id),
    );
    expect(expiries).toEqual([
      { kind: "hold", credits: 2_000, at: Date.parse("2026-07-20T00:00:00Z"), role: "service" },
      { kind: "expire", credits: 2_000, at: Date.parse("2026-07-20T00:00:30Z"), role: null },
    ]);
    expect((await consume(ws, "ai_agent", 2_250)).json.allowed).toBe(true);
    await expectCountersMatchLedger(ws);
  });

  it("validates the reservation id and the commit body, and is for services", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const id = (await reserve(ws, "copilot", 10)).json.reservationId;
    for (const body of [{}, { credits: -1 }, { credits: 1_000_001 }, { credits: 1, extra: 1 }]) {
      const r = await call("POST", `${api(ws)}/credits/reservations/${id}/commit`, {
        role: "service",
        body,
      });
      expect(r.status).toBe(400);
    }
    const badId = await commit(ws, "not.an.id", 1);
    expect(badId.status).toBe(400);
    expect(badId.json.error.details[0].path).toBe("id");
    for (const role of ["admin", "viewer"] as const) {
      expect((await commit(ws, id, 1, { role })).status).toBe(403);
      expect((await release(ws, id, { role })).status).toBe(403);
      expect((await reserve(ws, "copilot", 1, 60, { role })).status).toBe(403);
    }
    expect((await credits(ws)).json).toMatchObject({ used: 0, held: 10 });
  });
});

describe("idempotent retries never double-charge", () => {
  const key = (k: string) => ({ headers: { "idempotency-key": k } });

  it("consume: a retry answers the first decision and debits once", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const first = await consume(ws, "copilot", 40, key("c1"));
    const retry = await consume(ws, "copilot", 40, key("c1"));
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await credits(ws)).json.used).toBe(40);
    const conflict = await consume(ws, "copilot", 41, key("c1"));
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe("idempotency_conflict");
    const ledger = await inObject(ws, (sql) =>
      rows(sql, "SELECT kind, credits, idempotency_key, role FROM credit_ledger"),
    );
    expect(ledger).toEqual([
      { kind: "debit", credits: 40, idempotency_key: "c1", role: "service" },
    ]);
  });

  it("consume: concurrent duplicates debit once", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => consume(ws, "copilot", 7, key("same"))),
    );
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect((await credits(ws)).json.used).toBe(7);
    await expectCountersMatchLedger(ws);
  });

  it("reserve: concurrent duplicates create one reservation", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => reserve(ws, "ai_agent", 9, 60, key("r1"))),
    );
    expect(new Set(replies.map((r) => r.json.reservationId)).size).toBe(1);
    expect((await credits(ws)).json.held).toBe(9);
    const count = await inObject(
      ws,
      (sql) => rows(sql, "SELECT COUNT(*) AS n FROM credit_reservations")[0]?.n,
    );
    expect(count).toBe(1);
  });

  it("commit: retries and concurrent duplicates charge once; other keys get 409", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const id = (await reserve(ws, "ai_agent", 30)).json.reservationId;
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => commit(ws, id, 33, key("k-commit"))),
    );
    expect(new Set(replies.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    const others = await Promise.all(
      Array.from({ length: 10 }, (_, i) => commit(ws, id, 33, key(`other-${i}`))),
    );
    expect(others.map((r) => r.json.error.code)).toEqual(
      Array(10).fill("reservation_already_committed"),
    );
    const unkeyed = await Promise.all(Array.from({ length: 10 }, () => commit(ws, id, 33)));
    expect(unkeyed.every((r) => r.status === 409)).toBe(true);
    expect((await credits(ws)).json).toMatchObject({ used: 33, held: 0 });
    await expectCountersMatchLedger(ws);
  });

  it("commit: concurrent commits without keys charge exactly once", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const id = (await reserve(ws, "ai_agent", 30)).json.reservationId;
    const replies = await Promise.all(Array.from({ length: 25 }, () => commit(ws, id, 31)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(24);
    expect((await credits(ws)).json.used).toBe(31);
  });

  it("release: a retry answers the first answer; a later commit is refused", async () => {
    const ws = freshWorkspace();
    await setup(ws);
    const id = (await reserve(ws, "ai_agent", 30)).json.reservationId;
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => release(ws, id, key("k-rel"))),
    );
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(replies[0]?.status).toBe(200);
    expect((await commit(ws, id, 30)).json.error.code).toBe("reservation_already_released");
    expect((await credits(ws)).json).toMatchObject({ used: 0, held: 0 });
    await expectCountersMatchLedger(ws);
  });
});
