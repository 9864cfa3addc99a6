import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { api, call } from "./helpers";
import type { Schemas } from "./schemas";

/** The live socket's messages as the document types them (LiveFigures). */
export type LiveFigures = Schemas["LiveFigures"];

/** A ticket for `ws`, asked as `role` (viewer by default). */
export async function ticketFor(ws: string, role: "viewer" | "admin" = "viewer"): Promise<string> {
  const r = await call("POST", `${api(ws)}/live/ticket`, { role });
  expect(r.status).toBe(200);
  return r.json.ticket;
}

/** Opens the live path with `ticket` as a WebSocket upgrade; the raw response. */
export const openLive = (ws: string, ticket: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`https://quota.test${api(ws)}/live?ticket=${encodeURIComponent(ticket)}`, {
    headers: { upgrade: "websocket", ...headers },
  });

/** A socket accepted by the test, its messages parsed as they come, and how it closed. */
export class LiveClient {
  readonly messages: LiveFigures[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly socket: WebSocket) {
    socket.accept();
    socket.addEventListener("message", (event) => {
      this.messages.push(JSON.parse(String(event.data)) as LiveFigures);
      this.wake();
    });
    socket.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.wake();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves once `done` holds, checked on every message and close; fails after `withinMs`
   * (real time: the pushes are on the real clock, and the deadline is what a test asserts).
   */
  until(done: () => boolean, withinMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not within ${withinMs} ms: ${what}`)),
        withinMs,
      );
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Closes and waits for the object's answer: a socket left open makes workerd complain. */
  async close(): Promise<void> {
    if (this.closed === undefined) this.socket.close(1000, "done");
    // Cleanup, not a figure under test: a hundred sockets closing at once on a loaded machine
    // take longer than the pushes' one second.
    await this.until(() => this.closed !== undefined, 10_000, "the close answered");
  }

  /** The first message whose receipt is at least `seq`. */
  async figuresAt(seq: number, withinMs = 1000): Promise<LiveFigures> {
    await this.until(
      () => this.messages.some((m) => m.receipt.seq >= seq),
      withinMs,
      `figures as of sequence ${seq}`,
    );
    return this.messages.find((m) => m.receipt.seq >= seq) as LiveFigures;
  }
}

/** A ticket, then the socket: the client with its first message (the figures now) received. */
export async function connectLive(ws: string): Promise<LiveClient> {
  const r = await openLive(ws, await ticketFor(ws));
  expect(r.status).toBe(101);
  const client = new LiveClient(r.webSocket as WebSocket);
  await client.until(() => client.messages.length > 0, 1000, "the first figures");
  return client;
}
