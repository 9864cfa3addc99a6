/**
 * A typed HTTP client for the quota service, for TypeScript callers outside Cloudflare (or in
 * another account). Workers in the same account should bind the service instead (see
 * src/entrypoints.ts): the same operations, with no token and no HTTP.
 *
 *   const quota = createQuotaClient({ baseUrl: "https://quota.example.com", token });
 *   const spend = await quota.consume("acme", { feature: "ai_rewriter", credits: 3 });
 *   if (spend.error || !spend.allowed) return refuse(spend);
 *
 * - Types come from the OpenAPI document (openapi.ts, generated: `npm run client:generate`).
 * - `quota.api` is an openapi-fetch client for every route, typed by path and method.
 * - Every call has a timeout per try and retries network errors, timeouts and 502/503/504
 *   with backoff, a bounded number of times, under one Idempotency-Key (retry.ts).
 * - Spends fail closed: when the service cannot answer, `consume`, `reserve` and
 *   `consumeCopilotQuestion` answer a refusal with reason `service_unavailable`, never an
 *   allow. `check` does too, unless the call asks `{ failOpen: true }`.
 * - A caller's mistake (a 4xx) is `{ error: { code, message, details? } }`, as over a binding.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./openapi";
import { type RetryOptions, retryingFetch } from "./retry";

export type { components, paths } from "./openapi";
export { type RetryOptions, retryingFetch, ServiceUnreachableError } from "./retry";

type Schemas = components["schemas"];
export type SpendInput = Schemas["SpendInput"];
export type ReserveInput = Schemas["ReserveInput"];
export type CommitInput = Schemas["CommitInput"];
export type CreditDecision = Schemas["CreditDecision"];
export type ReservationDecision = Schemas["ReservationDecision"];
export type ReservationCommitted = Schemas["ReservationCommitted"];
export type ReservationReleased = Schemas["ReservationReleased"];
export type CopilotQuestionDecision = Schemas["CopilotQuestionDecision"];

/** The error body of every refused call, over HTTP and over a binding alike. */
export interface ErrorResult {
  error: { code: string; message: string; details?: unknown };
}

/** An answer, or the error body: `if (result.error)` tells them apart. */
export type Result<T> = (T & { error?: undefined }) | ErrorResult;

/**
 * The decision taken for the caller when the service could not be reached (after every try):
 * `allowed: false` for a spend, and for a check unless it asked to fail open.
 */
export interface ServiceUnavailable {
  allowed: boolean;
  reason: "service_unavailable";
  message: string;
  error?: undefined;
}

export interface QuotaClientOptions extends RetryOptions {
  /** The service's origin, e.g. `https://quota.example.com`. */
  baseUrl: string;
  /** The bearer token (role `service` for an AI feature), or a function that answers one. */
  token: string | (() => string | Promise<string>);
}

export interface CallOptions {
  /** Makes the call safe to retry for 24 hours; one is made up per call when absent. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface CheckOptions {
  /** When the service cannot answer: allow (true) or refuse (false, the default). */
  failOpen?: boolean;
  signal?: AbortSignal;
}

/** What an answered call turns into: the body on 2xx, the error body on 4xx. */
type Answered<T> = { data?: T; error?: unknown; response: Response };

const unavailableMessage = (cause: string) =>
  `The quota service could not be reached (${cause}); nothing was decided.`;

export function createQuotaClient(options: QuotaClientOptions) {
  const { baseUrl, token } = options;
  const api: Client<paths> = createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    fetch: retryingFetch(options),
  });
  api.use({
    async onRequest({ request }) {
      const bearer = typeof token === "function" ? await token() : token;
      request.headers.set("authorization", `Bearer ${bearer}`);
      return request;
    },
  });

  /**
   * Runs one call: its answer, the error body of a 4xx, or `unreachable(cause)` when no try got
   * an answer or the service answered 5xx (it decided nothing a caller can use).
   */
  async function settle<T, U>(
    run: () => Promise<Answered<T>>,
    unreachable: (cause: string) => U,
    signal: AbortSignal | undefined,
  ): Promise<Result<T> | U> {
    let answered: Answered<T>;
    try {
      answered = await run();
    } catch (error) {
      // The caller gave up: that is their answer, not the service's failure.
      if (signal?.aborted) throw error;
      return unreachable(error instanceof Error ? error.message : String(error));
    }
    const { data, error, response } = answered;
    if (response.status >= 500) return unreachable(`HTTP ${response.status}`);
    if (data !== undefined && response.ok) return data as Result<T>;
    if (typeof error === "object" && error !== null && "error" in error) {
      return error as ErrorResult;
    }
    return { error: { code: "invalid_response", message: `HTTP ${response.status}` } };
  }

  const refusal = (cause: string): ServiceUnavailable => ({
    allowed: false,
    reason: "service_unavailable",
    message: unavailableMessage(cause),
  });
  const unavailableError = (cause: string): ErrorResult => ({
    error: { code: "unavailable", message: unavailableMessage(cause) },
  });
  const keyed = (opts: CallOptions | undefined) => ({
    ...(opts?.idempotencyKey !== undefined && {
      header: { "idempotency-key": opts.idempotencyKey },
    }),
  });

  return {
    /** Every route, typed from the OpenAPI document, with the same retries and keys. */
    api,

    /** May this feature spend these credits now? Changes nothing. Fails closed unless asked. */
    check(ws: string, body: SpendInput, opts?: CheckOptions) {
      return settle(
        () =>
          api.POST("/v1/workspaces/{ws}/credits/check", {
            params: { path: { ws } },
            body,
            signal: opts?.signal,
          }),
        (cause): ServiceUnavailable => ({ ...refusal(cause), allowed: opts?.failOpen === true }),
        opts?.signal,
      );
    },

    /** Spends the credits if allowed, once per key. Fails closed. */
    consume(ws: string, body: SpendInput, opts?: CallOptions) {
      return settle(
        () =>
          api.POST("/v1/workspaces/{ws}/credits/consume", {
            params: { path: { ws }, ...keyed(opts) },
            body,
            signal: opts?.signal,
          }),
        refusal,
        opts?.signal,
      );
    },

    /** Holds an estimate, once per key. Fails closed (no reservation). */
    reserve(ws: string, body: ReserveInput, opts?: CallOptions) {
      return settle(
        () =>
          api.POST("/v1/workspaces/{ws}/credits/reservations", {
            params: { path: { ws }, ...keyed(opts) },
            body,
            signal: opts?.signal,
          }),
        (cause) => ({ ...refusal(cause), reservationId: null }),
        opts?.signal,
      );
    },

    /**
     * Charges a reservation's actual cost, once per key. When the service cannot answer, the
     * error `unavailable`: retry later with the same key (an unanswered hold expires at its TTL
     * and charges nothing).
     */
    commit(ws: string, reservationId: string, body: CommitInput, opts?: CallOptions) {
      return settle(
        () =>
          api.POST("/v1/workspaces/{ws}/credits/reservations/{id}/commit", {
            params: { path: { ws, id: reservationId }, ...keyed(opts) },
            body,
            signal: opts?.signal,
          }),
        unavailableError,
        opts?.signal,
      );
    },

    /** Frees a reservation's hold without charging, once per key. */
    release(ws: string, reservationId: string, opts?: CallOptions) {
      return settle(
        () =>
          api.POST("/v1/workspaces/{ws}/credits/reservations/{id}/release", {
            params: { path: { ws, id: reservationId }, ...keyed(opts) },
            signal: opts?.signal,
          }),
        unavailableError,
        opts?.signal,
      );
    },

    /** Counts one Copilot question if the monthly limit allows, once per key. Fails closed. */
    consumeCopilotQuestion(ws: string, opts?: CallOptions) {
      return settle(
        () =>
          api.POST("/v1/workspaces/{ws}/copilot-questions/consume", {
            params: { path: { ws }, ...keyed(opts) },
            signal: opts?.signal,
          }),
        refusal,
        opts?.signal,
      );
    },
  };
}

export type QuotaClient = ReturnType<typeof createQuotaClient>;
