import { MAX_BODY_BYTES } from "./api";
import { bearerClaims, mayReach } from "./auth";
import type { Env } from "./env";
import { isJsonMediaType } from "./mediaType";
import { logRequest, logsRequests, refusalOf } from "./requestLog";
import { faultResponse, replyResponse, requestIdOf } from "./respond";
import { ROUTES, routeMatcher } from "./routes/table";
import type { Reply } from "./workspace/object";

/**
 * The fast lane: the routes the table marks `fastLane` (src/routes/table.ts: POST credits/check
 * and credits/consume), answered without the router when the request is plainly valid: the same
 * operations (their roles, body schema and object call, which the routes and the bindings run),
 * the same token check (`bearerClaims`) and workspace scope (`mayReach`), and the same answer
 * (src/respond.ts). Anything else (no or a bad token, another workspace or role, an
 * Idempotency-Key, another content type, a body the schema refuses, a query string, a body
 * without a length or over the limit) goes to the full app, which answers it exactly as it
 * always has. Every AI request waits for this call, so it skips the router, the middleware
 * chain and the second parse of the body.
 */

const match = routeMatcher(ROUTES.filter((route) => route.fastLane));

/** What to answer: a Response, or the request for the full app (rebuilt if its body was read). */
export type Preflight = Response | Request;

/** The path of a URL without parsing it; undefined when it has a query or fragment. */
function pathOf(url: string): string | undefined {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return undefined;
  const path = url.slice(start);
  return /[?#]/.test(path) ? undefined : path;
}

export async function preflight(request: Request, env: Env): Promise<Preflight> {
  const startedAt = Date.now();
  const found = match(request.method, pathOf(request.url) ?? "");
  const ws = found?.params.ws;
  const op = found?.route.op;
  const headers = request.headers;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (
    op === undefined ||
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
  if (!mayReach(claims, ws) || !op.roles.includes(claims.role)) return request;
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
  const requestId = requestIdOf(request);
  const call = { params: { ws }, body: input.data };
  const meta = { role: claims.role, idempotencyKey: undefined, fingerprint: undefined };
  const stub = env.WORKSPACE.getByName(ws);
  let response: Response;
  let reply: Reply<unknown> | undefined;
  try {
    // An answer the object serialized is forwarded as it is (src/operations/operation.ts#json).
    reply = op.json ? await op.json(stub, call, meta) : await op.run(stub, call, meta);
    response = replyResponse(reply, requestId, op.json !== undefined);
  } catch (error) {
    // The object failed or was unreachable: the app's 503 with Retry-After, as on every route.
    const fault = faultResponse(error, requestId);
    if (fault === undefined) throw error;
    response = fault;
  }
  if (logsRequests(env)) {
    const reason =
      reply === undefined
        ? "unavailable"
        : !reply.ok
          ? reply.error.code
          : refusalOf(op.json ? JSON.parse(reply.value as string) : reply.value);
    logRequest(request, response, {
      requestId,
      startedAt,
      reason,
      route: found?.route.path ?? null,
      ws,
    });
  }
  return response;
}
