import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { ATTEMPT_TIMEOUT_MS } from "../../src/policy/delivery";
import type { PolicyEvent } from "../../src/policy/events";
import { DAY_MS, iso, SECOND_MS } from "../../src/policy/time";
import { Store } from "../../src/storage";
import { deliverDue } from "../../src/workspace/delivery";
import { recordEvents } from "../../src/workspace/events";
import { armProbe, installProbe } from "../cron/probe";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";
import { postToReceiver, received, releaseHeld, scriptAnswers } from "./client";

installProbe();

const T0 = Date.UTC(2026, 6, 20);

/** A workspace on a frozen test clock: deliveries and retries happen when its clock moves. */
async function frozenWorkspace() {
  const ws = freshWorkspace("hook");
  await setClock(ws, iso(T0));
  expect((await subscribe(ws)).status).toBe(200);
  return ws;
}

const moveClock = async (ws: string, at: number) =>
  expect((await setClock(ws, iso(at))).status).toBe(200);

const feed = async (ws: string) => (await call("GET", `/v1/workspaces/${ws}/events`)).json;

const record = (ws: string, events: PolicyEvent[], now: number) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
    state.storage.transactionSync(() => recordEvents(new Store(state.storage.sql), events, now)),
  );

const named = (...names: string[]): PolicyEvent[] =>
  names.map((name) => ({ type: "credits.threshold", data: { percent: 80, name } }));

describe("webhook delivery", () => {
  it("delivers an event once, signed per Standard Webhooks, with webhook-id = event id", async () => {
    const ws = await frozenWorkspace();
    await armProbe(env.WORKSPACE.getByName(ws), T0 + 60 * SECOND_MS);
    // Moving the clock past the probe's deadline records its event and delivers it.
    await moveClock(ws, T0 + 60 * SECOND_MS);

    const { events } = await feed(ws);
    expect(events).toHaveLength(1);
    const [event] = events;
    const deliveries = await received(ws);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ webhookId: event.id, verified: true, answered: 204 });
    const { delivery, ...body } = event;
    expect(deliveries[0]?.payload).toEqual({ ...body, timestamp: event.occurredAt });
    expect(body).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: "limit.enforced",
      workspaceId: ws,
      occurredAt: iso(T0 + 60 * SECOND_MS),
      data: { limit: "leads", graceEndsAt: iso(T0 + 60 * SECOND_MS) },
    });
    expect(delivery).toEqual({
      status: "delivered",
      attempts: 1,
      lastAttemptAt: iso(T0 + 60 * SECOND_MS),
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: iso(T0 + 60 * SECOND_MS),
    });

    await moveClock(ws, T0 + DAY_MS);
    expect(await received(ws)).toHaveLength(1);
  });

  it("the test receiver rejects a delivery whose signature does not verify", async () => {
    const response = await postToReceiver({
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "evt_forged",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl",
      },
      body: JSON.stringify({ workspaceId: "forged" }),
    });
    expect(response.status).toBe(401);
    const rejected = (await received("(unverified)")).filter((d) => d.webhookId === "evt_forged");
    expect(rejected).toMatchObject([{ verified: false, answered: 401 }]);
  });

  it("retries a receiver that fails twice, with backoff, and delivers once it succeeds", async () => {
    const ws = await frozenWorkspace();
    await scriptAnswers(ws, [{ status: 500 }, { status: 503 }]);
    const t1 = T0 + 60 * SECOND_MS;
    await armProbe(env.WORKSPACE.getByName(ws), t1);
    await moveClock(ws, t1);

    let [event] = (await feed(ws)).events;
    expect(event.delivery).toEqual({
      status: "pending",
      attempts: 1,
      lastAttemptAt: iso(t1),
      lastError: "HTTP 500",
      nextAttemptAt: iso(t1 + 5 * SECOND_MS),
      deliveredAt: null,
    });
    await moveClock(ws, t1 + 5 * SECOND_MS - 1);
    expect(await received(ws)).toHaveLength(1);

    await moveClock(ws, t1 + 5 * SECOND_MS);
    [event] = (await feed(ws)).events;
    expect(event.delivery).toMatchObject({
      status: "pending",
      attempts: 2,
      lastError: "HTTP 503",
      nextAttemptAt: iso(t1 + 25 * SECOND_MS),
    });

    await moveClock(ws, t1 + 25 * SECOND_MS);
    const { events } = await feed(ws);
    expect(events).toHaveLength(1);
    expect(events[0].id).toBe(event.id);
    expect(events[0].delivery).toEqual({
      status: "delivered",
      attempts: 3,
      lastAttemptAt: iso(t1 + 25 * SECOND_MS),
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: iso(t1 + 25 * SECOND_MS),
    });
    const deliveries = await received(ws);
    expect(deliveries.map((d) => [d.webhookId, d.verified, d.answered])).toEqual([
      [event.id, true, 500],
      [event.id, true, 503],
      [event.id, true, 204],
    ]);

    await moveClock(ws, t1 + DAY_MS);
    expect(await received(ws)).toHaveLength(3);
  });

  it("delivers in event order: a failing event holds back the later ones", async () => {
    const ws = await frozenWorkspace();
    await scriptAnswers(ws, [{ status: 500 }]);
    await record(ws, named("a", "b", "c"), T0);
    await moveClock(ws, T0 + SECOND_MS);

    const held = (await feed(ws)).events;
    expect(
      held.map((e: { delivery: { status: string; attempts: number } }) => e.delivery),
    ).toMatchObject([
      { status: "pending", attempts: 1, lastError: "HTTP 500" },
      { status: "pending", attempts: 0 },
      { status: "pending", attempts: 0 },
    ]);
    expect(await received(ws)).toHaveLength(1);

    await moveClock(ws, T0 + 6 * SECOND_MS);
    const [a, b, c] = (await feed(ws)).events;
    expect([a, b, c].map((e) => [e.delivery.status, e.delivery.attempts])).toEqual([
      ["delivered", 2],
      ["delivered", 1],
      ["delivered", 1],
    ]);
    expect((await received(ws)).map((d) => [d.webhookId, d.answered])).toEqual([
      [a.id, 500],
      [a.id, 204],
      [b.id, 204],
      [c.id, 204],
    ]);
  });

  it("marks an event failed after 3 days of failures, with its attempts, and moves on", async () => {
    const ws = await frozenWorkspace();
    await scriptAnswers(
      ws,
      Array.from({ length: 19 }, () => ({ status: 500 })),
    );
    await record(ws, named("doomed", "next"), T0);
    await moveClock(ws, T0);
    for (let step = 0; step < 30; step++) {
      const [first] = (await feed(ws)).events;
      if (first.delivery.status !== "pending") break;
      await moveClock(ws, Date.parse(first.delivery.nextAttemptAt));
    }
    const [doomed, next] = (await feed(ws)).events;
    expect(doomed.delivery).toEqual({
      status: "failed",
      attempts: 19,
      lastAttemptAt: iso(T0 + 3 * DAY_MS),
      lastError: "HTTP 500",
      nextAttemptAt: null,
      deliveredAt: null,
    });
    // The next event was held back for those 3 days; it goes out on the next run.
    expect(next.delivery.status).toBe("pending");
    await moveClock(ws, T0 + 3 * DAY_MS + SECOND_MS);
    const [, delivered] = (await feed(ws)).events;
    expect(delivered.delivery).toMatchObject({ status: "delivered", attempts: 1 });
    const deliveries = await received(ws);
    expect(deliveries.filter((d) => d.webhookId === doomed.id)).toHaveLength(19);
    expect(deliveries.filter((d) => d.webhookId === next.id)).toHaveLength(1);
  });

  it("counts a receiver that does not answer within 5 s as a failure", async () => {
    const ws = await frozenWorkspace();
    await scriptAnswers(ws, [{ hold: true }]);
    await record(ws, named("slow"), T0);
    // The attempt's timeout is AbortSignal.timeout(5 s), on the real clock. Rather than wait
    // 5 s, the test takes the signal it asks for and fires it once the receiver holds the
    // request, as the timeout would. (The object runs in the tests' isolate: it sees the spy.)
    const timeout = new AbortController();
    const asked = vi.spyOn(AbortSignal, "timeout").mockReturnValue(timeout.signal);
    const moved = moveClock(ws, T0 + SECOND_MS);
    await received(ws, 1);
    timeout.abort(new DOMException("The operation timed out.", "TimeoutError"));
    await moved;
    expect(asked).toHaveBeenCalledExactlyOnceWith(ATTEMPT_TIMEOUT_MS);
    asked.mockRestore();
    expect(ATTEMPT_TIMEOUT_MS).toBe(5 * SECOND_MS);
    await releaseHeld(ws);
    const [event] = (await feed(ws)).events;
    expect(event.delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: "no answer within 5 s",
      nextAttemptAt: iso(T0 + 6 * SECOND_MS),
    });
    await moveClock(ws, T0 + 6 * SECOND_MS);
    expect((await feed(ws)).events[0].delivery).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("never makes a check or spend wait for a slow receiver", async () => {
    const ws = await frozenWorkspace();
    // The receiver holds the delivery unanswered until the test releases it.
    await scriptAnswers(ws, [{ hold: true }]);
    await record(ws, named("slow"), T0);
    // The clock move runs the due work, which waits for the receiver...
    let dueWorkDone = false;
    const dueWork = setClock(ws, iso(T0 + SECOND_MS)).finally(() => {
      dueWorkDone = true;
    });
    expect(await received(ws, 1)).toHaveLength(1);
    // ...while a mutation, a spend and a read of the same workspace go through meanwhile.
    const mutation = await subscribe(ws, {
      plan: "pro",
      seats: 4,
      periodAnchor: "2026-07-15T00:00:00Z",
    });
    expect(mutation.status).toBe(200);
    const spend = await call("POST", `/v1/workspaces/${ws}/credits/consume`, {
      role: "service",
      body: { feature: "copilot", credits: 1 },
    });
    expect(spend.json.allowed).toBe(true);
    const usage = await call("GET", `/v1/workspaces/${ws}/subscription`);
    expect(usage.json.seats).toBe(4);
    expect(dueWorkDone).toBe(false);
    await releaseHeld(ws);
    expect((await dueWork).status).toBe(200);
    expect((await feed(ws)).events[0].delivery.status).toBe("delivered");
  });

  it("records why a misconfigured webhook fails, and disables pending events once it is removed", async () => {
    const ws = await frozenWorkspace();
    await record(ws, named("a", "b"), T0);
    const reason = "WEBHOOK_SECRET must be set to a whsec_ secret";
    const deliverWith = (config: Parameters<typeof deliverDue>[1]) =>
      runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
        deliverDue(new Store(state.storage.sql), config, ws, () => T0),
      );
    // The failed attempt is logged (src/workspace/delivery.ts): asserted here, not printed.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await deliverWith({ kind: "broken", reason })).toEqual({ attempted: 1, delivered: 0 });
    expect(logged).toHaveBeenCalledExactlyOnceWith(`webhook not sent: ${reason}`);
    logged.mockRestore();
    const [a, b] = (await feed(ws)).events;
    expect(a.delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: reason,
      nextAttemptAt: iso(T0 + 5 * SECOND_MS),
    });
    expect(b.delivery).toMatchObject({ status: "pending", attempts: 0 });

    expect(await deliverWith({ kind: "off" })).toEqual({ attempted: 0, delivered: 0 });
    const disabled = (await feed(ws)).events.map(
      (e: { delivery: { status: string; attempts: number; nextAttemptAt: string | null } }) => [
        e.delivery.status,
        e.delivery.attempts,
        e.delivery.nextAttemptAt,
      ],
    );
    expect(disabled).toEqual([
      ["disabled", 1, null],
      ["disabled", 0, null],
    ]);
    expect(await received(ws)).toEqual([]);
  });
});
