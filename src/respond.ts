import { ERROR_STATUS, faultError, objectFault, RETRY_AFTER_SECONDS } from "./errors";
import type { ErrorBody } from "./outcome";
import type { Reply } from "./workspace/object";

/**
 * How an operation's reply becomes an HTTP response, once for the router (src/api.ts,
 * src/routes/shared.ts) and the fast lane (src/preflight.ts), so the two cannot answer apart
 * (test/routes/preflight.test.ts compares status, every header and the body).
 */

const JSON_TYPE = "application/json";

/**
 * Every response's `x-request-id`, and `error.requestId` of every error body: the `cf-ray` that
 * Cloudflare's edge stamps on the request (so a log line and the edge's own logs meet), else a
 * fresh UUID (local development, tests, service bindings passing a Request on).
 */
export const requestIdOf = (request: Request): string =>
  request.headers.get("cf-ray") ?? crypto.randomUUID();

/** The error shape's body text (docs/api.md#errors): the error and the request's id. */
export const errorText = (error: ErrorBody, requestId: string): string =>
  JSON.stringify({ error: { ...error, requestId } });

/**
 * An operation's reply as HTTP: its value as the 200 body (`serialized`: the value is that body
 * already, as the object wrote it), or the error shape with its code's status; a replay says so
 * in Idempotent-Replayed (docs/rules.md#answers-errors-and-callers: a replay answers the first
 * answer).
 */
export function replyResponse(
  reply: Reply<unknown>,
  requestId: string,
  serialized = false,
): Response {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "x-request-id": requestId };
  if (reply.replayed) headers["idempotent-replayed"] = "true";
  if (!reply.ok) {
    return new Response(errorText(reply.error, requestId), {
      status: ERROR_STATUS[reply.error.code],
      headers,
    });
  }
  const body = serialized ? (reply.value as string) : JSON.stringify(reply.value);
  // 200 is the default: an initializer without `status` is one field fewer for the runtime to
  // read on every answer of the hot path (docs/benchmarks.md).
  return new Response(body, { headers });
}

/**
 * The workspace object failed or could not be reached: the call was not decided, so it is
 * never an allow. A 503 tells the caller to retry later (a mutation with its Idempotency-Key:
 * the object may have applied it before failing, and the key replays that answer). Undefined
 * for any other error.
 */
export function faultResponse(error: unknown, requestId: string): Response | undefined {
  const fault = objectFault(error);
  if (fault === undefined) return undefined;
  console.error(`workspace object ${fault}`, error);
  return new Response(errorText(faultError(fault), requestId), {
    status: 503,
    headers: {
      "content-type": JSON_TYPE,
      "retry-after": String(RETRY_AFTER_SECONDS[fault]),
      "x-request-id": requestId,
    },
  });
}
