/**
 * The typed client's transport: a `fetch` that gives every try its own timeout, retries what a
 * retry can fix (a network error, a timeout, a 502/503/504) with exponential backoff and full
 * jitter, a bounded number of times, and makes such retries safe: a mutating request is sent
 * with an Idempotency-Key (the caller's, or one made up once for the call) that every try
 * reuses, so the service answers it once however many tries reach it.
 *
 * It also keeps count of what the tries say about the call's outcome: a try that failed before
 * the request left this process (the connection was refused, the name did not resolve) cannot
 * have been decided; any other unanswered try (a timeout, a dropped connection, a 5xx) may have
 * been, so the outcome of a mutation is unknown until a try gets an answer
 * (docs/integration.md#when-the-outcome-is-unknown).
 */

export interface RetryOptions {
  /** Each try's limit, in milliseconds (default 2,000). */
  timeoutMs?: number;
  /** Tries per call, the first included (default 3). */
  maxAttempts?: number;
  /** The first retry waits up to this long, doubling each time (default 100 ms). */
  backoffBaseMs?: number;
  /** No wait exceeds this, Retry-After included (default 2,000 ms). */
  backoffMaxMs?: number;
  /** The transport (default: the global fetch). */
  fetch?: (request: Request) => Promise<Response>;
  /** Makes a key for a mutating call sent without one (default: crypto.randomUUID). */
  newKey?: () => string;
  /** Jitter source in [0, 1) (default Math.random); tests fix it. */
  random?: () => number;
  /**
   * Runs `fn` after `ms` and answers a canceller (default setTimeout). Timeouts and backoff
   * waits go through it, so tests can run them without waiting on a real clock.
   */
  schedule?: (fn: () => void, ms: number) => () => void;
  /**
   * Whether a thrown transport error proves the request never left this process, so the
   * service cannot have acted on it (default: Node's connection-refused and name-resolution
   * errors, found by their `code` on the error or its causes). Anything else is "may have".
   */
  failedBeforeSending?: (error: unknown) => boolean;
}

/** What the tries of one call found out, filled in as they run. */
export interface CallReport {
  /** The Idempotency-Key every try sent (absent on a read). */
  idempotencyKey?: string;
  /** Tries made so far. */
  tries: number;
  /**
   * A try may have reached the service without its answer reaching us: it timed out, lost its
   * connection, or got a 5xx. Until a later try gets an answer, a mutation's outcome is unknown.
   */
  mayHaveReached: boolean;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Answers that mean the request did not get a decision: a retry may get one. */
const RETRYABLE_STATUS = new Set([502, 503, 504]);
/**
 * Errors raised before a request is written to a connection (Node's `fetch` puts them on the
 * error's `cause`): no connection was made, so no service saw the request.
 */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
]);

/** Node's default: a connection that was never made, by its error code (through causes). */
export function neverConnected(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** What a call that never got an answer failed with, after its last try. */
export class ServiceUnreachableError extends Error {
  readonly attempts: number;
  /** True when some try may have reached the service: a mutation may have been applied. */
  readonly mayHaveReached: boolean;
  /** The Idempotency-Key every try sent: retry with it to learn the outcome. */
  readonly idempotencyKey: string | undefined;

  // Plain fields, no parameter properties: Node runs this file by stripping its types only.
  constructor(message: string, report: CallReport, cause?: unknown) {
    super(message, { cause });
    this.name = "ServiceUnreachableError";
    this.attempts = report.tries;
    this.mayHaveReached = report.mayHaveReached;
    this.idempotencyKey = report.idempotencyKey;
  }
}

const defaultSchedule = (fn: () => void, ms: number) => {
  const handle = setTimeout(fn, ms);
  return () => clearTimeout(handle);
};

/** The wait before try `attempt + 1`: Retry-After when the service says, else full jitter. */
function backoffMs(
  attempt: number,
  response: Response | undefined,
  options: Required<Pick<RetryOptions, "backoffBaseMs" | "backoffMaxMs" | "random">>,
): number {
  const retryAfter = Number(response?.headers.get("retry-after") ?? Number.NaN);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) {
    return Math.min(retryAfter * 1000, options.backoffMaxMs);
  }
  const ceiling = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * ceiling);
}

/** A retrying fetch that also reports, per call, what its tries found out. */
export type ReportingFetch = (request: Request, report?: CallReport) => Promise<Response>;

export function reportingFetch(options: RetryOptions = {}): ReportingFetch {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const backoff = {
    backoffBaseMs: options.backoffBaseMs ?? 100,
    backoffMaxMs: options.backoffMaxMs ?? 2_000,
    random: options.random ?? Math.random,
  };
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const newKey = options.newKey ?? (() => crypto.randomUUID());
  const schedule = options.schedule ?? defaultSchedule;
  const notSent = options.failedBeforeSending ?? neverConnected;
  const wait = (ms: number) => new Promise<void>((resolve) => schedule(resolve, ms));

  return async (request, report = { tries: 0, mayHaveReached: false }) => {
    const headers = new Headers(request.headers);
    if (MUTATING.has(request.method) && !headers.has("idempotency-key")) {
      headers.set("idempotency-key", newKey());
    }
    report.idempotencyKey = headers.get("idempotency-key") ?? undefined;
    // The body is read once, so every try sends the same bytes.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const callerSignal = request.signal;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const controller = new AbortController();
      const abort = () => controller.abort(callerSignal.reason);
      callerSignal.addEventListener("abort", abort);
      let timedOut = false;
      const cancelTimeout = schedule(() => {
        timedOut = true;
        controller.abort(new DOMException("The try timed out", "TimeoutError"));
      }, timeoutMs);
      let response: Response | undefined;
      report.tries = attempt;
      try {
        response = await send(
          new Request(request.url, {
            method: request.method,
            headers,
            body,
            signal: controller.signal,
          }),
        );
      } catch (error) {
        // The caller gave up: that is an answer, not a failure to retry.
        if (callerSignal.aborted) {
          report.mayHaveReached = true;
          throw error;
        }
        if (timedOut || !notSent(error)) report.mayHaveReached = true;
        lastError = timedOut ? new DOMException("The try timed out", "TimeoutError") : error;
      } finally {
        cancelTimeout();
        callerSignal.removeEventListener("abort", abort);
      }
      // A 5xx came from the service or a gateway in front of it: the request got there, and
      // even the service's own 503 may follow a debit recorded just before the object failed
      // (docs/api.md#503-unavailable-never-an-allow).
      if (response !== undefined && response.status >= 500) report.mayHaveReached = true;
      if (response !== undefined && !RETRYABLE_STATUS.has(response.status)) return response;
      if (attempt === maxAttempts) {
        if (response !== undefined) return response;
        break;
      }
      await response?.body?.cancel();
      await wait(backoffMs(attempt, response, backoff));
    }
    throw new ServiceUnreachableError(
      `No answer from the quota service after ${maxAttempts} tries: ${String(lastError)}`,
      report,
      lastError,
    );
  };
}

/** The retrying transport as a plain `fetch` (what `quota.api` and openapi-fetch call). */
export function retryingFetch(options: RetryOptions = {}): (request: Request) => Promise<Response> {
  const transport = reportingFetch(options);
  return (request) => transport(request);
}
