import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIVE_TICKET_REASONS } from "../../src/errors";
import { LIVE_FULL_CLOSE_CODE, MAX_LIVE_SOCKETS } from "../../src/policy/live";
import { consume, setup } from "../support/credits";
import { api, call, freshWorkspace, setClock, token } from "../support/helpers";
import { connectLive, LiveClient, openLive, ticketFor } from "../support/live";

/**
 * The live balance (docs/rules.md#the-live-balance) through the Worker's fetch: tickets, the
 * socket, pushes after a spend, the most sockets, and a socket that outlives its object's
 * eviction. Pushes run on the real clock (the object's coalescing); every wait is for an event,
 * bounded by the deadline the rule promises.
 */

/** Every ticket reason a refusal named, to check they are all seen. */
const seenReasons = new Set<string>();

const refusal = async (r: Response) => {
  expect(r.status).toBe(401);
  const body = (await r.json()) as { error: { code: string; details: { reason: string } } };
  expect(body.error.code).toBe("unauthenticated");
  seenReasons.add(body.error.details.reason);
  return body.error.details.reason;
};

/** A socket the test accepts and closes at once: an upgrade left hanging makes workerd complain. */
const opensAndCloses = async (r: Response) => {
  expect(r.status).toBe(101);
  const client = new LiveClient(r.webSocket as WebSocket);
  await client.until(() => client.messages.length > 0, 1000, "the first figures");
  await client.close();
};

describe("live tickets", () => {
  it("are issued to viewers and higher of their own workspace only, for 30 seconds", async () => {
    const ws = freshWorkspace("live-t");
    await setup(ws);
    for (const role of ["viewer", "service", "admin", "platform"] as const) {
      const r = await call("POST", `${api(ws)}/live/ticket`, { role });
      expect(r.status, role).toBe(200);
      expect(r.json).toMatchObject({ ttlSeconds: 30, expiresAt: "2026-07-20T00:00:30.000Z" });
      expect(r.json.url).toBe(`/v1/workspaces/${ws}/live?ticket=${r.json.ticket}`);
    }
    const other = await call("POST", `${api(ws)}/live/ticket`, {
      token: await token(freshWorkspace("elsewhere"), "viewer"),
    });
    expect(other.status).toBe(403);
    const none = freshWorkspace("live-none");
    expect((await call("POST", `${api(none)}/live/ticket`, { role: "viewer" })).status).toBe(404);
  });

  it("let one socket in, once, before they lapse, into the workspace that issued them", async () => {
    const ws = freshWorkspace("live-rules");
    const other = freshWorkspace("live-other");
    await setup(ws);
    await setup(other);
    const ticket = await ticketFor(ws);
    await opensAndCloses(await openLive(ws, ticket));
    expect(await refusal(await openLive(ws, ticket))).toBe("ticket_used");
    // Used stays used after the object was evicted: tickets are in storage.
    await evictDurableObject(env.WORKSPACE.getByName(ws));
    expect(await refusal(await openLive(ws, ticket))).toBe("ticket_used");

    expect(await refusal(await openLive(other, await ticketFor(ws)))).toBe("ticket_unknown");

    const lapsing = await ticketFor(ws);
    await setClock(ws, "2026-07-20T00:00:29.999Z");
    const stillGood = await ticketFor(ws);
    await setClock(ws, "2026-07-20T00:00:30Z");
    expect(await refusal(await openLive(ws, lapsing))).toBe("ticket_expired");
    await opensAndCloses(await openLive(ws, stillGood));

    expect(await refusal(await openLive(ws, ""))).toBe("ticket_missing");
    expect(await refusal(await openLive(ws, "not-a-ticket"))).toBe("ticket_malformed");
    // A bearer token is no ticket.
    const bearer = await token(ws, "viewer");
    expect(await refusal(await openLive(ws, "", { authorization: `Bearer ${bearer}` }))).toBe(
      "ticket_missing",
    );
    expect([...seenReasons].sort()).toEqual([...LIVE_TICKET_REASONS].sort());
  });

  it("are not spent by a request that is no WebSocket upgrade", async () => {
    const ws = freshWorkspace("live-upgrade");
    await setup(ws);
    const ticket = await ticketFor(ws);
    const plain = await call("GET", `${api(ws)}/live?ticket=${ticket}`, { token: "" });
    expect(plain.status).toBe(400);
    expect(plain.json.error.details[0].path).toBe("Upgrade");
    await opensAndCloses(await openLive(ws, ticket));
  });
});

describe("the live socket", () => {
  it("sends the figures on connecting, then a spend made over HTTP within a second", async () => {
    const ws = freshWorkspace("live-push");
    await setup(ws);
    const client = await connectLive(ws);
    expect(client.messages[0]).toMatchObject({
      type: "figures",
      receipt: { seq: 0 },
      credits: { used: 0 },
      usage: { credits: { used: 0 } },
    });
    const spent = await consume(ws, "ai_rewriter", 7);
    const startedAt = Date.now();
    const figures = await client.figuresAt(spent.json.receipt.seq, 1000);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(figures.receipt).toEqual(spent.json.receipt);
    expect(figures.credits.used).toBe(7);
    expect(figures.usage.credits.used).toBe(7);
    // "refresh" asks again, "ping" is answered by the runtime.
    const before = client.messages.length;
    client.socket.send("refresh");
    await client.until(() => client.messages.length > before, 1000, "the refreshed figures");
    await client.close();
  });

  it("coalesces a burst of 500 spends into at most 4 messages a second, the last one exact", async () => {
    const ws = freshWorkspace("live-burst");
    await setup(ws, { plan: "pro", seats: 100, periodAnchor: "2026-07-15T00:00:00.000Z" });
    const client = await connectLive(ws);
    const stub = env.WORKSPACE.getByName(ws);
    const spends = 500;
    const startedAt = Date.now();
    // Straight to the object, as a binding's spend lands: the burst is as fast as it can go.
    const answers = await Promise.all(
      Array.from({ length: spends }, () =>
        stub.consumeCredits({ feature: "ai_rewriter", credits: 1 }, { role: "service" }),
      ),
    );
    const burstMs = Date.now() - startedAt;
    const seqs = answers.map((a) => (a.ok ? a.value.receipt.seq : 0));
    expect(new Set(seqs).size).toBe(spends);
    const last = Math.max(...seqs);
    expect(last).toBe(spends);
    const figures = await client.figuresAt(last, 1000);
    const elapsedMs = Date.now() - startedAt;
    expect(figures.credits.used).toBe(spends);
    const pushes = client.messages.length - 1;
    // At most one push per 250 ms window of the burst, plus the one that closes it.
    expect(pushes, `${pushes} pushes for ${spends} spends in ${burstMs} ms`).toBeLessThanOrEqual(
      Math.ceil(elapsedMs / 250) + 1,
    );
    expect(pushes).toBeLessThan(spends / 20);
    // However long the burst, pushes came during it: a backlog does not hold them all back.
    if (burstMs > 1000) expect(pushes).toBeGreaterThanOrEqual(Math.floor(burstMs / 1000));
    await client.close();
  });

  it(`keeps at most ${MAX_LIVE_SOCKETS} sockets: the next is closed at once, saying why`, {
    timeout: 60_000,
  }, async () => {
    const ws = freshWorkspace("live-full");
    await setup(ws);
    const open: LiveClient[] = [];
    for (let i = 0; i < MAX_LIVE_SOCKETS; i++) {
      const r = await openLive(ws, await ticketFor(ws));
      expect(r.status).toBe(101);
      open.push(new LiveClient(r.webSocket as WebSocket));
    }
    const extra = await openLive(ws, await ticketFor(ws));
    expect(extra.status).toBe(101);
    const refused = new LiveClient(extra.webSocket as WebSocket);
    await refused.until(() => refused.closed !== undefined, 1000, "the 101st closed");
    expect(refused.closed?.code).toBe(LIVE_FULL_CLOSE_CODE);
    expect(refused.closed?.reason).toContain(`${MAX_LIVE_SOCKETS} live connections`);
    expect(refused.messages).toEqual([]);

    // Every one of the hundred still gets the next spend.
    const spent = await consume(ws, "ai_rewriter", 3);
    await Promise.all(open.map((c) => c.figuresAt(spent.json.receipt.seq, 1000)));
    // One closes: a place is free again.
    const leaving = open.pop() as LiveClient;
    await leaving.close();
    const next = await openLive(ws, await ticketFor(ws));
    const again = new LiveClient(next.webSocket as WebSocket);
    await again.until(() => again.messages.length > 0, 1000, "a socket in the freed place");
    await Promise.all([...open, again].map((c) => c.close()));
  });

  it("outlives its object's eviction (hibernated) and still gets the next spend", async () => {
    const ws = freshWorkspace("live-evict");
    await setup(ws);
    const client = await connectLive(ws);
    const stub = env.WORKSPACE.getByName(ws);
    await evictDurableObject(stub);
    const spent = await consume(ws, "ai_rewriter", 4);
    const figures = await client.figuresAt(spent.json.receipt.seq, 1000);
    expect(figures.credits.used).toBe(4);
    expect(client.closed).toBeUndefined();
    // And after a second eviction, a spend over the binding's way in (the object's RPC).
    await evictDurableObject(stub);
    const again = await stub.consumeCredits(
      { feature: "ai_rewriter", credits: 1 },
      {
        role: "service",
      },
    );
    if (!again.ok) throw new Error("the spend was refused");
    await client.figuresAt(again.value.receipt.seq, 1000);
    await client.close();
  });
});
