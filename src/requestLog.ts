/**
 * One structured JSON line per request on stdout (Workers Logs, `[observability]` in
 * wrangler.toml): what was asked, of which workspace, what it answered and why a refusal was
 * refused, how long it took, and the request id the caller saw. Written after the response is
 * built, never on the way to it. `LOG_REQUESTS = "off"` silences it (the test configurations
 * set it, so test output stays readable).
 */
export interface RequestLine {
  requestId: string;
  method: string;
  /**
   * The route's pattern: the route table's (src/routes/table.ts), else the router's for a route
   * outside it (`/v1/fleet/summary`); null when no route matched.
   */
  route: string | null;
  ws: string | null;
  status: number;
  /** A refused decision's `reason`, or an error's `code`; null for an allow or a page. */
  reason: string | null;
  ms: number;
}

/** Why an answer refused: a decision's `reason` when not allowed, else nothing. */
export function refusalOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const decision = value as { allowed?: unknown; reason?: unknown };
  return decision.allowed === false && typeof decision.reason === "string" ? decision.reason : null;
}

export const logsRequests = (env: { LOG_REQUESTS?: string }): boolean => env.LOG_REQUESTS !== "off";

/**
 * Writes the line of a request that was answered; `reason` as the answer's maker knew it, the
 * route and workspace as the caller matched them (this module matches nothing, so the routes
 * may import it).
 */
export function logRequest(
  request: Request,
  response: Response,
  fields: {
    requestId: string;
    startedAt: number;
    reason: string | null;
    route: string | null;
    ws: string | null;
  },
): void {
  const line: RequestLine = {
    requestId: fields.requestId,
    method: request.method,
    route: fields.route,
    ws: fields.ws,
    status: response.status,
    reason: fields.reason,
    ms: Date.now() - fields.startedAt,
  };
  console.log(JSON.stringify(line));
}
