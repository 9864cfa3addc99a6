// The live balance's sockets for `npm run bench -- --sockets=N`: N WebSockets open on a
// workspace while its spends are measured, each asking for its own one-time ticket (docs/
// credits.md#the-live-balance), so a figure says what watchers cost the hot path.
import { call } from "./http.mjs";

/**
 * Opens `n` live sockets on `ws` with a viewer `token`; answers them with a count of the pushes
 * each received and a `close()`. Throws when one is refused.
 */
export async function openLiveSockets(base, ws, token, n) {
  const open = [];
  for (let i = 0; i < n; i++) {
    const ticket = await call(base, "POST", `/v1/workspaces/${ws}/live/ticket`, token);
    const url = new URL(ticket.url, base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    const watcher = { socket, messages: 0 };
    socket.addEventListener("message", () => {
      watcher.messages++;
    });
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve, { once: true });
      socket.addEventListener(
        "close",
        (e) => reject(new Error(`live socket ${i + 1} refused: ${e.code} ${e.reason}`)),
        { once: true },
      );
    });
    open.push(watcher);
  }
  return {
    /** Pushes received per socket so far: coalesced, at most 4 a second each. */
    messages: () => open.map((w) => w.messages),
    close: () => {
      for (const w of open) w.socket.close(1000, "bench done");
    },
  };
}
