import { afterAll, describe, expect, it } from "vitest";
import { type DevServer, mintToken, removeState, startDevServer } from "./server";

/**
 * The live balance as a Node client sees it against `wrangler dev` (docs/credits.md#the-live-balance):
 * a ticket, Node's own WebSocket (the standard one a browser has), and a consume made over HTTP
 * by someone else showing within a second. Tickets are in the object's storage, so a used one
 * is still refused after wrangler dev restarts on the same state.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeState));

async function send(
  server: DevServer,
  ws: string,
  role: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${server.url}/v1/workspaces/${ws}${path}`, {
    method,
    headers: { authorization: `Bearer ${mintToken(ws, role)}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: e2e answers are inspected loosely
  const json = (await res.json()) as Record<string, any>;
  expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

interface Figures {
  receipt: { seq: number; at: string };
  credits: { used: number };
}

/** A socket with its messages and its fate: opened, closed (code), or never opened. */
function watch(server: DevServer, path: string) {
  const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}${path}`);
  const state = {
    opened: false,
    closed: undefined as number | undefined,
    messages: [] as Figures[],
  };
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  socket.addEventListener("open", () => {
    state.opened = true;
    wake();
  });
  socket.addEventListener("message", (e) => {
    state.messages.push(JSON.parse(String(e.data)) as Figures);
    wake();
  });
  socket.addEventListener("close", (e) => {
    state.closed = e.code;
    wake();
  });
  // A refused upgrade is an error then a close; the close is what the tests wait for.
  socket.addEventListener("error", () => undefined);
  const until = (done: () => boolean, withinMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not within ${withinMs} ms: ${what}`)),
        withinMs,
      );
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { socket, state, until };
}

describe("the live balance against wrangler dev", () => {
  it("shows a Node client a consume made over HTTP within a second, and refuses a used ticket after a restart", {
    timeout: 180_000,
  }, async () => {
    const ws = "live-e2e";
    let server = await startDevServer();
    dirs.push(server.stateDir);
    let ticket: string;
    try {
      await send(server, ws, "platform", "PUT", "/subscription", {
        plan: "pro",
        seats: 3,
        periodAnchor: "2026-07-15T00:00:00Z",
      });
      const issued = await send(server, ws, "viewer", "POST", "/live/ticket");
      ticket = issued.ticket;
      const live = watch(server, issued.url);
      await live.until(() => live.state.messages.length > 0, 5_000, "the first figures");
      expect(live.state.messages[0]?.credits.used).toBe(0);

      for (const credits of [3, 5]) {
        const spent = await send(server, ws, "service", "POST", "/credits/consume", {
          feature: "ai_rewriter",
          credits,
        });
        const sentAt = Date.now();
        await live.until(
          () => live.state.messages.some((m) => m.receipt.seq === spent.receipt.seq),
          1_000,
          `the consume of ${credits} credits`,
        );
        expect(Date.now() - sentAt).toBeLessThan(1_000);
        const shown = live.state.messages.find((m) => m.receipt.seq === spent.receipt.seq);
        expect(shown?.credits.used).toBe(spent.used);
      }
      live.socket.close(1000, "done");
      await live.until(() => live.state.closed !== undefined, 5_000, "the close");
    } finally {
      await server.stop();
    }

    server = await startDevServer(server.stateDir);
    try {
      const reused = watch(server, `/v1/workspaces/${ws}/live?ticket=${ticket}`);
      await reused.until(() => reused.state.closed !== undefined, 5_000, "the refusal");
      expect(reused.state.opened).toBe(false);
      // The same refusal, readable over plain HTTP: the ticket was spent before the restart.
      const fresh = await send(server, ws, "viewer", "POST", "/live/ticket");
      const again = watch(server, fresh.url);
      await again.until(() => again.state.messages.length > 0, 5_000, "a fresh ticket's figures");
      expect(again.state.messages[0]?.credits.used).toBe(8);
      again.socket.close(1000, "done");
      await again.until(() => again.state.closed !== undefined, 5_000, "the close");
    } finally {
      await server.stop();
    }
  });
});
