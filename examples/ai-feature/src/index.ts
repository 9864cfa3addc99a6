/**
 * An AI feature's Worker that pays for each AI call with the workspace's credits, through the
 * quota service's `QuotaService` binding (see ../wrangler.toml):
 *
 *   reserve the estimate → call the model → commit the actual cost → only then serve the answer
 *
 * Every answer it serves has been charged (its commit landed); every other path refuses and
 * releases the hold. Fail-closed: when the quota service cannot answer, or its answer to the
 * commit is lost, the answer is withheld, never served for free (docs/rules.md, "Answers,
 * errors and callers"). `Env` comes from `wrangler types` (worker-configuration.d.ts). To run
 * it by hand beside `npm start`: `npm run example` (docs/example-caller.md).
 *
 * POST /rewrite  {"workspace": "acme", "text": "..."}  (optional header `Request-Id`: a retry
 * of the same request, with the same text, continues it instead of spending again)
 *   200 {"text", "credits"}                                         rewritten and charged
 *   402 {"allowed": false, "reason", "message", ...}                refused by the quota, or its
 *                                                                   charge refused (withheld)
 *   409 {"error": "already_answered" | "request_closed", ...}      this request already ended
 *   503 {"allowed": false, "reason": "service_unavailable", ...}    the quota service is down,
 *                                                                   or the charge is unknown
 *   502 {"error": "model_failed", "message"}                        the model failed; released
 *   400 a bad request, or the service's error value for a caller's mistake
 */

/** What the (fake) model is asked for: an estimate up front, the actual cost afterwards. */
const ESTIMATE_CREDITS = 10;
const HOLD_SECONDS = 120;

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

type ServiceError = { error: { code: string; message: string } };

/**
 * Calls the binding and turns a thrown error (the quota Worker is not deployed, or its isolate
 * failed) into the same error value the service answers when its workspace is unavailable.
 */
async function settle<T>(call: () => Promise<T>): Promise<T | ServiceError> {
  try {
    return await call();
  } catch (error) {
    return { error: { code: "unavailable", message: String(error) } };
  }
}

/** `LOG_FAILURES` is "on" in wrangler.toml (so typed as that literal); the tests set "off". */
const logsFailures = (env: Env): boolean => (env.LOG_FAILURES as string) !== "off";

/** Errors after which nobody knows what the service decided (docs/rules.md, "Answers, …"). */
const outcomeUnknown = (code: string) => code === "unavailable" || code === "internal_error";

/**
 * The request's identity: who sent it (its Request-Id) AND what it asks (feature, workspace,
 * text). Keying by the Request-Id alone would let one id with a new text replay a reservation
 * already committed, and serve a second answer for free. JSON keeps the parts apart (no text
 * can pose as another id), and SHA-256 keeps the key within the service's 255 characters.
 */
async function requestDigest(parts: string[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(parts));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function rewrite(env: Env, request: Request): Promise<Response> {
  const input = (await request.json().catch(() => null)) as RewriteRequest | null;
  if (typeof input?.workspace !== "string" || typeof input.text !== "string") {
    return json(400, { error: "invalid_request", message: "Send {workspace, text}." });
  }
  const ws = input.workspace;
  // Without a Request-Id every request is a new spend.
  const requestId = request.headers.get("request-id") ?? crypto.randomUUID();
  const key = await requestDigest([env.FEATURE, ws, requestId, input.text]);

  // The same key on a retry of this request finds the same reservation instead of a second
  // hold (a replay answers the first answer: docs/rules.md, "Answers, errors and callers").
  const reserved = await settle(() =>
    env.QUOTA.reserve(
      ws,
      { feature: env.FEATURE, credits: ESTIMATE_CREDITS, ttlSeconds: HOLD_SECONDS },
      { idempotencyKey: `${key}:reserve` },
    ),
  );
  if (reserved.error) {
    // unavailable or internal_error: fail closed. Anything else is our own mistake (a 4xx).
    if (outcomeUnknown(reserved.error.code)) {
      return serviceUnavailable(`Credits could not be checked: ${reserved.error.message}`);
    }
    return json(400, reserved);
  }
  if (!reserved.allowed || reserved.reservationId === null) {
    return json(402, reserved);
  }
  const reservationId = reserved.reservationId;

  // A replayed reserve (a retry of this same request: `replayed: true`) answers as it first did
  // ("open"): ask the reservation's state now, so that a request already answered (or ended)
  // does not call the model again. A first answer needs no second call.
  if (reserved.replayed === true) {
    const current = await settle(() => env.QUOTA.reservation(ws, reservationId));
    if (current.error) {
      return serviceUnavailable(`The reservation could not be read: ${current.error.message}`);
    }
    if (current.state === "committed") {
      return json(409, {
        error: "already_answered",
        message: `This request (same Request-Id and text) was already answered and charged ${current.charged} credits; this example keeps no copy of its answers. Send a new Request-Id to ask again.`,
      });
    }
    if (current.state !== "open") {
      return json(409, {
        error: "request_closed",
        message: `This request (same Request-Id and text) already ended without a charge (its hold was ${current.state}). Send a new Request-Id to ask again.`,
      });
    }
  }

  // Commit and release keys are this attempt's own: two attempts of the same request racing
  // past the check above cannot both commit, because the second one's commit is a 409
  // (reservation_already_committed), never a replay of the first one's that would let it serve
  // an answer uncharged.
  const attempt = `${key}:${crypto.randomUUID()}`;
  const release = async (why: string) => {
    const released = await settle(() =>
      env.QUOTA.release(ws, reservationId, { idempotencyKey: `${attempt}:release` }),
    );
    // Best effort: a hold that could not be freed frees itself when its TTL ends.
    if (released.error && logsFailures(env)) {
      console.error(`release of ${reservationId} (${why})`, released.error);
    }
  };

  let answer: { text: string; credits: number };
  try {
    answer = await fakeModel(input.text);
  } catch (error) {
    // Nothing to charge: free the hold now rather than when its TTL ends.
    await release("model failed");
    return json(502, { error: "model_failed", message: String(error) });
  }

  const committed = await settle(() =>
    env.QUOTA.commit(
      ws,
      reservationId,
      { credits: answer.credits },
      { idempotencyKey: `${attempt}:commit` },
    ),
  );
  if (committed.error) {
    const { code, message } = committed.error;
    if (code === "reservation_already_committed") {
      // Another attempt of this request charged its answer and served it.
      return json(409, {
        error: "already_answered",
        message: "This request (same Request-Id and text) was already answered and charged.",
      });
    }
    // The answer exists but is not paid for: withhold it, and free the hold (if the commit
    // did land after all, the release is refused and the charge stands, the answer withheld).
    await release(`commit failed: ${code}`);
    if (logsFailures(env)) {
      console.error(`commit of ${reservationId} failed; the answer is withheld`, committed.error);
    }
    if (outcomeUnknown(code)) {
      return serviceUnavailable(
        `The charge could not be confirmed, so the answer is withheld: ${message}`,
      );
    }
    return json(402, {
      allowed: false,
      reason: "charge_refused",
      message: `The charge of ${answer.credits.toLocaleString("en-US")} credits was refused, so the answer is withheld: ${message}`,
      error: committed.error,
    });
  }
  return json(200, { text: answer.text, credits: committed.charged });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/rewrite") return rewrite(env, request);
    return json(404, { error: "not_found" });
  },
} satisfies ExportedHandler<Env>;
