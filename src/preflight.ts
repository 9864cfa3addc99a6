import { MAX_BODY_BYTES, objectFaultResponse } from "./api";
import { bearerClaims } from "./auth";
import type { Env } from "./env";
import { ERROR_STATUS } from "./errors";
import { isJsonMediaType } from "./mediaType";
import { check, consume } from "./operations/credits";
import type { Reply } from "./workspace/object";

/**
 * The preflight's two routes, POST credits/check and credits/consume, answered without the
 * router when the request is plainly valid: the same operations (src/operations/credits.ts,
 * whose roles, body schema and object call the routes and the bindings run), the same token
 * check (`bearerClaims`) and workspace scope, and the same answer. Anything else (no or a bad
 * token, another workspace or role, an Idempotency-Key, another content type, a body the
 * schema refuses, a query string, a body without a length or over the limit) goes to the full
 * app, which answers it exactly as it always has. Every AI request waits for this call, so it
 * skips the router, the middleware chain and the second parse of the body.
 */

const PATH = /^\/v1\/workspaces\/([A-Za-z0-9_-]{1,64})\/credits\/(check|consume)$/;

/** What to answer: a Response, or the request for the full app (rebuilt if its body was read). */
export type Preflight = Response | Request;

function answer<T>(outcome: Reply<T>): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (outcome.replayed) headers["idempotent-replayed"] = "true";
  return outcome.ok
    ? new Response(JSON.stringify(outcome.value), { status: 200, headers })
    : new Response(JSON.stringify({ error: outcome.error }), {
        status: ERROR_STATUS[outcome.error.code],
        headers,
      });
}

/** The path of a URL without parsing it; undefined when it has a query or fragment. */
function pathOf(url: string): string | undefined {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return undefined;
  const path = url.slice(start);
  return /[?#]/.test(path) ? undefined : path;
}

export async function preflight(request: Request, env: Env): Promise<Preflight> {
  if (request.method !== "POST") return request;
  const match = PATH.exec(pathOf(request.url) ?? "");
  const ws = match?.[1];
  const op = match?.[2] === "check" ? check : consume;
  const headers = request.headers;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (
    ws === undefined ||
    !env.AUTH_SECRET ||
    // The app decides with the same function, so no spelling is answered here and refused there.
    !isJsonMediaType(headers.get("content-type")) ||
    !(length > 0 && length <= MAX_BODY_BYTES) ||
    headers.has("idempotency-key") ||
    op.guard?.(env) !== undefined
  ) {
    return request;
  }
  let claims: Awaited<ReturnType<typeof bearerClaims>>;
  try {
    claims = await bearerClaims(headers.get("authorization") ?? undefined, env.AUTH_SECRET);
  } catch {
    return request;
  }
  if ((claims.ws !== "*" && claims.ws !== ws) || !op.roles.includes(claims.role)) return request;
  const text = await request.text();
  const again = () => new Request(request, { body: text });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return again();
  }
  const input = op.body?.safeParse(body);
  if (input === undefined || !input.success) return again();
  const meta = { role: claims.role, idempotencyKey: undefined, fingerprint: undefined };
  try {
    return answer(
      await op.run(env.WORKSPACE.getByName(ws), { params: { ws }, body: input.data }, meta),
    );
  } catch (error) {
    // The object failed or was unreachable: the app's 503 with Retry-After, as on every route.
    const fault = objectFaultResponse(error);
    if (fault === undefined) throw error;
    return fault;
  }
}
