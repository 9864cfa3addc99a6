import { afterAll, describe, expect, it } from "vitest";
import { type DevServer, mintToken, removeState, startDevServer } from "./server";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeState));

async function send(server: DevServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/v1/workspaces/acme${path}`, {
    method,
    headers: {
      authorization: `Bearer ${mintToken("acme", "platform")}`,
      "content-type": "application/json",
      "idempotency-key": `${method}-${path}-${JSON.stringify(body)}`,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: e2e answers are inspected loosely
  const json = (await res.json()) as Record<string, any>;
  return { status: res.status, json };
}

describe("wrangler dev, state on disk", () => {
  it("keeps everything acknowledged across a restart", async () => {
    let server = await startDevServer();
    dirs.push(server.stateDir);
    try {
      const sub = await send(server, "PUT", "/subscription", {
        plan: "advanced",
        seats: 2,
        periodAnchor: "2026-07-15T00:00:00Z",
      });
      expect(sub.status).toBe(200);
      expect(
        (await send(server, "POST", "/agents", { id: "sales", name: "Sales" })).json.allowed,
      ).toBe(true);
      expect((await send(server, "POST", "/agents/sales/activate")).json.allowed).toBe(true);
      expect((await send(server, "POST", "/channels/whatsapp", { id: "+15550001" })).status).toBe(
        200,
      );
    } finally {
      await server.stop();
    }

    server = await startDevServer(server.stateDir);
    try {
      const usage = await send(server, "GET", "/usage");
      expect(usage.status).toBe(200);
      expect(usage.json.agents).toMatchObject({ used: 1, limit: 3, total: 1 });
      expect(usage.json.whatsapp).toMatchObject({ used: 1, limit: 3 });
      // An idempotent retry after the restart still answers the first answer.
      const replay = await send(server, "POST", "/agents", { id: "sales", name: "Sales" });
      expect(replay.json.allowed).toBe(true);
      expect((await send(server, "GET", "/agents")).json.agents).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});
