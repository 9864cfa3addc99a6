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
 * - Spends fail closed: no answer is never an allow (docs/rules.md#answers-errors-and-callers).
 *   When no try can have reached the service, nothing was decided: `consume`, `reserve` and
 *   `consumeCopilotQuestion` answer a refusal with reason `service_unavailable` (and `check`
 *   too, unless the call asks `{ failOpen: true }`). When a try may have reached it (a timeout,
 *   a dropped connection, a 5xx), the spend may have been charged: the answer is
 *   `outcome: "unknown"` with the Idempotency-Key used, and the same call with that key asks
 *   again (docs/integration.md#when-the-outcome-is-unknown).
 * - A replayed answer (one the service had already given under the key) carries `replayed: true`,
 *   as over a binding.
 * - A caller's mistake (a 4xx) is `{ error: { code, message, details? } }`, as over a binding.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./openapi.ts";
import { type CallReport, type RetryOptions, reportingFetch } from "./retry.ts";

export type { components, paths } from "./openapi.ts";
export {
  type CallReport,
  neverConnected,
  type RetryOptions,
  retryingFetch,
  ServiceUnreachableError,
} from "./retry.ts";

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

/**
 * Marks an answer the service had already given under this Idempotency-Key (an earlier try of
 * the same call, or an earlier call with the key): over HTTP the `Idempotent-Replayed` header.
 */
export interface Replayed {
  replayed?: true;
}

/** An answer, or the error body: `if (result.error)` tells them apart. */
export type Result<T> = (T & Replayed & { error?: undefined; outcome?: undefined }) | ErrorResult;

/**
 * The decision taken for the caller when no try can have reached the service (the connection
 * was refused, the name did not resolve), or a check got no answer: nothing was decided.
 * `allowed: false` for a spend, and for a check unless it asked to fail open.
 */
export interface ServiceUnavailable {
  allowed: boolean;
  reason: "service_unavailable";
  message: string;
  error?: undefined;
  outcome?: undefined;
  replayed?: undefined;
}

/**
 * A spend (consume, reserve, Copilot question) whose answer never came back although a try may
 * have reached the service: it may have been charged, or not. Never an allow. Make the same
 * call again with `{ idempotencyKey }` to learn the real answer (docs/integration.md).
 */
export interface OutcomeUnknown {
  allowed: false;
  reason: "outcome_unknown";
  outcome: "unknown";
  /** The key every try sent: the same call with it answers what the service decided. */
  idempotencyKey: string;
  message: string;
  error?: undefined;
  replayed?: undefined;
}

/** A commit or release whose answer never came back although a try may have reached the service. */
export interface OutcomeUnknownError {
  error: { code: "outcome_unknown"; message: string };
  outcome: "unknown";
  /** The key every try sent: the same call with it answers what the service did. */
  idempotencyKey: string;
}

/** Whether an answer is an unknown outcome (of a spend, a commit or a release). */
export function isOutcomeUnknown(answer: object): answer is OutcomeUnknown | OutcomeUnknownError {
  return (answer as { outcome?: unknown }).outcome === "unknown";
}

export interface QuotaClientOptions extends RetryOptions {
  /** The service's origin, e.g. `https://quota.example.com`. */
  baseUrl: string;
  /** The bearer token (role `service` for an AI feature), or a function that answers one. */
  token: string | (() => string | Promise<string>);
}

export interface CallOptions {
  /**
   * Makes the call safe to retry for 24 hours; one is made up per call when absent. Pass the
   * `idempotencyKey` of an unknown outcome, with the same arguments, to learn that outcome.
   */
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
type Transport = (request: Request) => Promise<Response>;

const unavailableMessage = (cause: string) =>
  `The quota service could not be reached (${cause}); nothing was decided.`;
const unknownMessage = (cause: string, key: string) =>
  `The quota service may have received this call but its answer was lost (${cause}): it may ` +
  `have been applied, or not. Make the same call again with idempotencyKey "${key}" to learn ` +
  "what was decided; until then, treat it as not allowed.";

export function createQuotaClient(options: QuotaClientOptions) {
  const { baseUrl, token } = options;
  const transport = reportingFetch(options);
  const api: Client<paths> = createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    fetch: (request) => transport(request),
  });
  api.use({
    async onRequest({ request }) {
      const bearer = typeof token === "function" ? await token() : token;
      request.headers.set("authorization", `Bearer ${bearer}`);
      return request;
    },
  });

  /**
   * Runs one call through a transport that reports on its tries: its answer (marked when
   * replayed), the error body of a 4xx, `notDecided(cause)` when no try can have reached the
   * service, or `unknown(cause, key)` when one may have and none got an answer (a 5xx
   * included: it decided nothing a caller can use, and may follow a recorded debit).
   */
  async function settle<T, U, V>(
    run: (fetch: Transport) => Promise<Answered<T>>,
    notDecided: (cause: string) => U,
    unknown: (cause: string, key: string) => V,
    signal: AbortSignal | undefined,
  ): Promise<Result<T> | U | V> {
    const report: CallReport = { tries: 0, mayHaveReached: false };
    const unanswered = (cause: string) =>
      report.mayHaveReached && report.idempotencyKey !== undefined
        ? unknown(cause, report.idempotencyKey)
        : notDecided(cause);
    let answered: Answered<T>;
    try {
      answered = await run((request) => transport(request, report));
    } catch (error) {
      // The caller gave up: that is their answer, not the service's failure.
      if (signal?.aborted) throw error;
      return unanswered(error instanceof Error ? error.message : String(error));
    }
    const { data, error, response } = answered;
    if (response.status >= 500) return unanswered(`HTTP ${response.status}`);
    // Every try carries the same request, so a later try's 4xx is what an earlier one got too,
    // except a 401: the token can expire between tries, and it is checked before the replay
    // lookup, so it says nothing about whether an earlier try landed.
    if (response.status === 401 && report.mayHaveReached) return unanswered("HTTP 401");
    if (data !== undefined && response.ok) {
      const replayed = response.headers.get("idempotent-replayed") === "true";
      return (replayed ? { ...data, replayed: true } : data) as Result<T>;
    }
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
  const spendUnknown = (cause: string, idempotencyKey: string): OutcomeUnknown => ({
    allowed: false,
    reason: "outcome_unknown",
    outcome: "unknown",
    idempotencyKey,
    message: unknownMessage(cause, idempotencyKey),
  });
  const settleUnknown = (cause: string, idempotencyKey: string): OutcomeUnknownError => ({
    error: { code: "outcome_unknown", message: unknownMessage(cause, idempotencyKey) },
    outcome: "unknown",
    idempotencyKey,
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
      const failed = (cause: string): ServiceUnavailable => ({
        ...refusal(cause),
        allowed: opts?.failOpen === true,
      });
      // A check changes nothing, so an unanswered one is never "unknown": nothing was decided.
      return settle(
        (fetch) =>
          api.POST("/v1/workspaces/{ws}/credits/check", {
            params: { path: { ws } },
            body,
            signal: opts?.signal,
            fetch,
          }),
        failed,
        failed,
        opts?.signal,
      );
    },

    /** Spends the credits if allowed, once per key. Fails closed; may answer an unknown outcome. */
    consume(ws: string, body: SpendInput, opts?: CallOptions) {
      return settle(
        (fetch) =>
          api.POST("/v1/workspaces/{ws}/credits/consume", {
            params: { path: { ws }, ...keyed(opts) },
            body,
            signal: opts?.signal,
            fetch,
          }),
        refusal,
        spendUnknown,
        opts?.signal,
      );
    },

    /** Holds an estimate, once per key. Fails closed (no reservation); may answer unknown. */
    reserve(ws: string, body: ReserveInput, opts?: CallOptions) {
      return settle(
        (fetch) =>
          api.POST("/v1/workspaces/{ws}/credits/reservations", {
            params: { path: { ws }, ...keyed(opts) },
            body,
            signal: opts?.signal,
            fetch,
          }),
        (cause) => ({ ...refusal(cause), reservationId: null }),
        (cause, key) => ({ ...spendUnknown(cause, key), reservationId: null }),
        opts?.signal,
      );
    },

    /**
     * Charges a reservation's actual cost, once per key. When no try reached the service, the
     * error `unavailable`; when one may have, the error `outcome_unknown` with the key. Either
     * way retry later with the same key (an uncommitted hold expires at its TTL, uncharged).
     */
    commit(ws: string, reservationId: string, body: CommitInput, opts?: CallOptions) {
      return settle(
        (fetch) =>
          api.POST("/v1/workspaces/{ws}/credits/reservations/{id}/commit", {
            params: { path: { ws, id: reservationId }, ...keyed(opts) },
            body,
            signal: opts?.signal,
            fetch,
          }),
        unavailableError,
        settleUnknown,
        opts?.signal,
      );
    },

    /** Frees a reservation's hold without charging, once per key (unavailable or unknown as commit). */
    release(ws: string, reservationId: string, opts?: CallOptions) {
      return settle(
        (fetch) =>
          api.POST("/v1/workspaces/{ws}/credits/reservations/{id}/release", {
            params: { path: { ws, id: reservationId }, ...keyed(opts) },
            signal: opts?.signal,
            fetch,
          }),
        unavailableError,
        settleUnknown,
        opts?.signal,
      );
    },

    /** Counts one Copilot question if the monthly limit allows, once per key. As `consume`. */
    consumeCopilotQuestion(ws: string, opts?: CallOptions) {
      return settle(
        (fetch) =>
          api.POST("/v1/workspaces/{ws}/copilot-questions/consume", {
            params: { path: { ws }, ...keyed(opts) },
            signal: opts?.signal,
            fetch,
          }),
        refusal,
        spendUnknown,
        opts?.signal,
      );
    },
  };
}

export type QuotaClient = ReturnType<typeof createQuotaClient>;
