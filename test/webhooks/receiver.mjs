/**
 * A webhook receiver for the webhook tests: a real HTTP server on 127.0.0.1, started once per
 * run by vitest (globalSetup of the `webhooks` project, in Node). It verifies every delivery's
 * Standard Webhooks signature with `standardwebhooks` and logs it per workspace. Tests (inside
 * workerd) script its answers and read its log over HTTP:
 *
 * - `POST /webhooks`: a delivery. 401 when the signature does not verify; otherwise the next
 *   scripted answer for the event's workspace, else 204.
 * - `PUT /script/{ws}` with `[{"status": 500}, {"hangMs": 7000}, ...]`: the next answers for
 *   deliveries of workspace `ws`, in order.
 * - `GET /log/{ws}`: every delivery received for `ws`, in arrival order.
 */
// Plain JavaScript: it runs in Node, and the project's TypeScript setup has Workers types only.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { TEST_WEBHOOK_SECRET } from "./secret.ts";

async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const webhook = new Webhook(TEST_WEBHOOK_SECRET);
  /** Scripted answers per workspace: `{status}` or `{hangMs}`. */
  const scripts = new Map();
  /** Deliveries received per workspace (shape: ReceivedDelivery in ./client.ts). */
  const logs = new Map();

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://receiver");
    const body = await readBody(request);
    const json = (status, value) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    const [, route, ws = ""] = url.pathname.split("/");

    if (request.method === "PUT" && route === "script") {
      scripts.set(ws, JSON.parse(body));
      return json(200, { ok: true });
    }
    if (request.method === "GET" && route === "log") return json(200, logs.get(ws) ?? []);
    if (request.method !== "POST" || route !== "webhooks") return json(404, {});

    const headers = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers[key] = value;
    }
    let payload = null;
    try {
      payload = webhook.verify(body, headers);
    } catch {
      payload = null;
    }
    const workspace = payload === null ? "(unverified)" : String(payload.workspaceId);
    const answer =
      payload === null ? { status: 401 } : (scripts.get(workspace)?.shift() ?? { status: 204 });
    const entry = {
      webhookId: headers["webhook-id"] ?? null,
      verified: payload !== null,
      payload,
      answered: "status" in answer ? answer.status : "hang",
      receivedAt: Date.now(),
    };
    logs.set(workspace, [...(logs.get(workspace) ?? []), entry]);
    if ("hangMs" in answer) {
      // Answers only after the sender gave up; by then the socket is usually gone.
      setTimeout(() => response.destroyed || json(200, { late: true }), answer.hangMs);
      return;
    }
    return json(answer.status, {});
  });

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  project.provide("webhookReceiver", `http://127.0.0.1:${port}`);

  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  };
}
