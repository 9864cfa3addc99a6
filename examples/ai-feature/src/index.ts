/**
 * An AI feature's Worker that pays for each AI call with the workspace's credits, through the
 * quota service's `QuotaService` binding (see ../wrangler.toml):
 *
 *   reserve the estimate → call the model → commit the actual cost (or release on failure)
 *
 * Fail-closed: when the quota service cannot answer, the AI call is refused, never made for
 * free. `Env` comes from `wrangler types` (worker-configuration.d.ts), not written by hand.
 *
 * POST /rewrite  {"workspace": "acme", "text": "..."}  (optional header `Request-Id` makes a
 * retry of the same request safe: it reuses the same idempotency keys)
 *   200 {"text", "credits"}                                       rewritten and charged
 *   402 {"allowed": false, "reason", "message", ...}              refused by the quota
 *   503 {"allowed": false, "reason": "service_unavailable", ...}  the quota service is down
 *   502 {"error": "model_failed", "message"}                      the model failed; released
 */

/** What the (fake) model is asked for: an estimate up front, the actual cost afterwards. */
const ESTIMATE_CREDITS = 10;

interface RewriteRequest {
  workspace: string;
  text: string;
}

/** A stand-in for the model: it costs 1 credit per 20 characters, and fails on "FAIL". */
async function fakeModel(text: string): Promise<{ text: string; credits: number }> {
  if (text.includes("FAIL")) throw new Error("the model failed");
  return { text: text.toUpperCase(), credits: Math.max(1, Math.ceil(text.length / 20)) };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

/** The refusal a caller gets when the quota service cannot answer: never an allow. */
const serviceUnavailable = (message: string) =>
  json(503, { allowed: false, reason: "service_unavailable", message });

/**
 * Calls the binding and turns a thrown error (the quota Worker is not deployed, or its isolate
 * failed) into the same error value the service answers when its workspace is unavailable.
 */
async function settle<T>(
  call: () => Promise<T>,
): Promise<T | { error: { code: string; message: string } }> {
  try {
    return await call();
  } catch (error) {
    return { error: { code: "unavailable", message: String(error) } };
  }
}

async function rewrite(env: Env, request: Request): Promise<Response> {
  const input = (await request.json().catch(() => null)) as RewriteRequest | null;
  if (typeof input?.workspace !== "string" || typeof input.text !== "string") {
    return json(400, { error: "invalid_request", message: "Send {workspace, text}." });
  }
  const ws = input.workspace;
  // One id per user request: its retries reuse the same keys, so nothing is charged twice.
  const requestId = request.headers.get("request-id") ?? crypto.randomUUID();

  const reserved = await settle(() =>
    env.QUOTA.reserve(
      ws,
      { feature: env.FEATURE, credits: ESTIMATE_CREDITS, ttlSeconds: 120 },
      { idempotencyKey: `${requestId}:reserve` },
    ),
  );
  if (reserved.error) {
    // unavailable or internal_error: fail closed. Anything else is our own mistake (a 4xx).
    if (reserved.error.code === "unavailable" || reserved.error.code === "internal_error") {
      return serviceUnavailable(`Credits could not be checked: ${reserved.error.message}`);
    }
    return json(400, reserved);
  }
  if (!reserved.allowed || reserved.reservationId === null) {
    return json(402, reserved);
  }
  const reservationId = reserved.reservationId;

  let answer: { text: string; credits: number };
  try {
    answer = await fakeModel(input.text);
  } catch (error) {
    // Nothing to charge: free the hold now rather than when its TTL ends.
    await settle(() =>
      env.QUOTA.release(ws, reservationId, { idempotencyKey: `${requestId}:release` }),
    );
    return json(502, { error: "model_failed", message: String(error) });
  }

  const committed = await settle(() =>
    env.QUOTA.commit(
      ws,
      reservationId,
      { credits: answer.credits },
      { idempotencyKey: `${requestId}:commit` },
    ),
  );
  if (committed.error) {
    // The answer exists; the charge did not land. A retry of this request (same Request-Id)
    // commits it once; otherwise the hold expires after its TTL and nothing is charged.
    console.error(`commit of ${reservationId} failed`, committed.error);
  }
  return json(200, { text: answer.text, credits: answer.credits });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/rewrite") return rewrite(env, request);
    return json(404, { error: "not_found" });
  },
} satisfies ExportedHandler<Env>;
