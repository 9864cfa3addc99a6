/**
 * The typed client's transport: a `fetch` that gives every try its own timeout, retries what a
 * retry can fix (a network error, a timeout, a 502/503/504) with exponential backoff and full
 * jitter, a bounded number of times, and makes such retries safe: a mutating request is sent
 * with an Idempotency-Key (the caller's, or one made up once for the call) that every try
 * reuses, so the service answers it once however many tries reach it.
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
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Answers that mean the request did not get a decision: a retry may get one. */
const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** What a call that never got an answer failed with, after its last try. */
export class ServiceUnreachableError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = "ServiceUnreachableError";
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

export function retryingFetch(options: RetryOptions = {}): (request: Request) => Promise<Response> {
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
  const wait = (ms: number) => new Promise<void>((resolve) => schedule(resolve, ms));

  return async (request) => {
    const headers = new Headers(request.headers);
    if (MUTATING.has(request.method) && !headers.has("idempotency-key")) {
      headers.set("idempotency-key", newKey());
    }
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
        if (callerSignal.aborted) throw error;
        lastError = timedOut ? new DOMException("The try timed out", "TimeoutError") : error;
      } finally {
        cancelTimeout();
        callerSignal.removeEventListener("abort", abort);
      }
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
      maxAttempts,
      lastError,
    );
  };
}
