/**
 * A webhook receiver for the webhook tests: a real HTTP server on 127.0.0.1, started once per
 * run by vitest (globalSetup of the `webhooks` project, in Node). It verifies every delivery's
 * Standard Webhooks signature with `standardwebhooks` and logs it per workspace. Tests (inside
 * workerd) script its answers and read its log over HTTP:
 *
 * - `POST /webhooks`: a delivery. 401 when the signature does not verify; otherwise the next
 *   scripted answer for the event's workspace, else 204.
 * - `PUT /script/{ws}` with `[{"status": 500}, {"delayMs": 7000}, {"hold": true}, ...]`: the
 *   next answers for deliveries of workspace `ws`, in order (`status` defaults to 204,
 *   `delayMs` to 0); a held delivery gets no answer until `POST /release/{ws}`.
 * - `POST /release/{ws}`: answers every held delivery of `ws`.
 * - `GET /log/{ws}`: every delivery received for `ws`, in arrival order; with `?atLeast=n` it
 *   answers once n have arrived, so a test waits for a delivery without polling.
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
  /** Scripted answers per workspace: `{status?, delayMs?}`. */
  const scripts = new Map();
  /** Deliveries received per workspace (shape: ReceivedDelivery in ./client.ts). */
  const logs = new Map();
  /** Held deliveries per workspace: their answers, run on release. */
  const held = new Map();
  /** Log readers waiting for more deliveries: `{ws, atLeast, answer}`. */
  let readers = [];
  const wakeReaders = () => {
    readers = readers.filter((r) => {
      if ((logs.get(r.ws) ?? []).length < r.atLeast) return true;
      r.answer();
      return false;
    });
  };

  const server = createServer(async (request, response) => {
    // A sender that gave up closes the socket; a late answer must not crash the receiver.
    response.on("error", () => undefined);
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
    if (request.method === "POST" && route === "release") {
      const answers = held.get(ws) ?? [];
      held.delete(ws);
      for (const answer of answers) answer();
      return json(200, { released: answers.length });
    }
    if (request.method === "GET" && route === "log") {
      const atLeast = Number(url.searchParams.get("atLeast") ?? 0);
      const answer = () => json(200, logs.get(ws) ?? []);
      if ((logs.get(ws) ?? []).length >= atLeast) return answer();
      readers.push({ ws, atLeast, answer });
      return;
    }
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
    const answer = payload === null ? { status: 401 } : (scripts.get(workspace)?.shift() ?? {});
    const status = answer.status ?? 204;
    logs.set(workspace, [
      ...(logs.get(workspace) ?? []),
      {
        webhookId: headers["webhook-id"] ?? null,
        verified: payload !== null,
        payload,
        answered: status,
        delayMs: answer.delayMs ?? 0,
        receivedAt: Date.now(),
      },
    ]);
    wakeReaders();
    if (answer.hold) {
      held.set(workspace, [
        ...(held.get(workspace) ?? []),
        () => {
          if (!response.destroyed) json(status, {});
        },
      ]);
      return;
    }
    // A delay past the sender's timeout is a receiver that does not answer in time.
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (!response.destroyed) json(status, {});
  });

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  project.provide("webhookReceiver", `http://127.0.0.1:${port}`);

  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  };
}
