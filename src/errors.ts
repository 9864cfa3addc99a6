import { z } from "@hono/zod-openapi";
import type { ErrorBody, ErrorCode } from "./outcome";

export type { ErrorCode };

/**
 * The HTTP face of the error codes (src/outcome.ts): each code's status. Runtime responses and
 * the OpenAPI error schemas are both derived from it, so a code cannot be returned without being
 * documented (or vice versa).
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_conflict: 409,
  already_exists: 409,
  version_locked: 409,
  entity_blocked: 409,
  reservation_not_found: 409,
  reservation_already_committed: 409,
  reservation_already_released: 409,
  reservation_expired: 409,
  too_many_packages: 409,
  ledger_entry_archived: 410,
  too_many_topups: 409,
  too_many_alert_rules: 409,
  payload_too_large: 413,
  server_misconfigured: 500,
  internal_error: 500,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

/** Why the live socket's one-time ticket was refused (docs/api.md#tokens-and-roles). */
export const LIVE_TICKET_REASONS = [
  "ticket_missing",
  "ticket_malformed",
  "ticket_unknown",
  "ticket_expired",
  "ticket_used",
] as const;

/**
 * Why a bearer token was refused: every 401 carries one as `details.reason`, so a client (the
 * billing page) can say what went wrong without reading the message, which is for people.
 */
export const UNAUTHENTICATED_REASONS = [
  "missing",
  "malformed",
  "bad_signature",
  "expired",
  "not_yet_valid",
  "star_not_allowed",
  "lifetime_too_long",
  ...LIVE_TICKET_REASONS,
] as const;
export type UnauthenticatedReason = (typeof UNAUTHENTICATED_REASONS)[number];

/**
 * Why a 403 was refused, so a client can act on it without reading the message: a token for
 * another workspace (`wrong_workspace`), a role the call does not allow (`role_not_allowed`), a
 * platform token of one workspace on a route that covers every workspace (`not_every_workspace`),
 * a service binding with no workspace or another one (`binding_scope`).
 */
export const FORBIDDEN_REASONS = [
  "wrong_workspace",
  "role_not_allowed",
  "not_every_workspace",
  "binding_scope",
] as const;
export type ForbiddenReason = (typeof FORBIDDEN_REASONS)[number];

/** The 403 of a role the call does not allow, the same over HTTP and the bindings. */
export const roleRefused = (roles: readonly string[]) => ({
  code: "forbidden" as const,
  message: `This call needs one of the roles: ${roles.join(", ")}.`,
  details: { reason: "role_not_allowed" as ForbiddenReason },
});

export const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  invalid_request: "The request failed validation; `details` lists each failing field path.",
  unauthenticated:
    "Missing, malformed, wrongly signed or expired bearer token. `details.reason` says which: `missing`, `malformed`, `bad_signature` (not signed with this deployment's secret, or not HS256), `expired`, `not_yet_valid` (`nbf` or `iat` in the future), `star_not_allowed` (`ws: \"*\"` on a role other than platform) or `lifetime_too_long`; on the live socket, a ticket's: `ticket_missing`, `ticket_malformed`, `ticket_unknown` (not issued by this workspace), `ticket_expired` or `ticket_used`.",
  forbidden:
    "The token's role or workspace does not allow this call. `details.reason` says which: `wrong_workspace` (a token for another workspace), `role_not_allowed` (the token's role may not make this call), `not_every_workspace` (a fleet, catalogue or exports route needs a platform token for ws `*`) or `binding_scope` (a scoped service binding without its workspace, or for another one).",
  not_found: "No such workspace (no subscription yet), resource or route.",
  method_not_allowed:
    "The path exists but not with this method; the `Allow` header lists the methods it takes.",
  idempotency_conflict: "The Idempotency-Key was already used with a different request.",
  already_exists: "A resource with this id already exists with different attributes.",
  version_locked:
    "The catalogue version can no longer change: it is built in, in force or superseded, withdrawn, or applies within the 10-minute lead (publish a newer one).",
  entity_blocked:
    "The entity is blocked by its limit: its data is not accessible, so it cannot be closed or reopened (it can be deleted).",
  reservation_not_found:
    "No such credit reservation in this workspace (closed ones are forgotten after 24 hours).",
  reservation_already_committed:
    "The reservation was already committed; it is never charged twice.",
  reservation_already_released: "The reservation was already released.",
  reservation_expired: "The reservation's TTL passed and its hold was freed; nothing was charged.",
  too_many_packages: "The workspace already has the maximum number of active credit packages.",
  ledger_entry_archived:
    "The ledger entry passed its retention and was archived; `details.archives` is the path of the workspace's archives (`GET /v1/workspaces/{ws}/archives`), `details.seq` the entry.",
  too_many_topups: "The workspace already has the maximum number of active credit top-ups.",
  too_many_alert_rules: "The workspace already has 20 credit alert rules.",
  payload_too_large:
    "The request body exceeds 64 KiB (256 KiB for entity and channel batch and lookup calls).",
  server_misconfigured: "The deployment is missing a required secret (AUTH_SECRET).",
  internal_error: "An unexpected server error.",
  unavailable:
    "The workspace could not answer (overloaded, restarting or failing), or on a platform route the fleet index (D1) or the archive (R2) did not: nothing was decided, so nothing is allowed. Retry after the `Retry-After` seconds, a mutating call with the same Idempotency-Key.",
};

export interface FieldIssue {
  /** Dotted path of the failing field, e.g. `overrides.leadsPerSeat`, `ws`, `Idempotency-Key`. */
  path: string;
  message: string;
}

/**
 * The error of an answer, as the operations hand it on (over a binding, exactly this); over HTTP
 * the body adds the request's id (`requestId`).
 */
export type ApiErrorBody = ErrorBody;

/** Thrown by edges (auth, validation) and turned into the error shape by the app's onError. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** An `unavailable` answer's Retry-After (docs/api.md#errors). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * What a caller waits before retrying a 503 `unavailable`, by what the Durable Objects runtime
 * said about the failure: an overloaded object needs the load to fall (retrying at once makes it
 * worse); a transient fault (the object restarting or moving) passes in a moment; an exception
 * in the object's own code is not expected to pass by itself, so callers back off longest.
 */
export const RETRY_AFTER_SECONDS = { overloaded: 5, retryable: 1, failed: 30 } as const;

export type ObjectFault = keyof typeof RETRY_AFTER_SECONDS;

/**
 * Classifies an exception that came out of a workspace object call. workerd marks the errors
 * thrown across a Durable Object boundary: `.overloaded`, `.retryable` (infrastructure: the call
 * can be tried again) and `.remote` (thrown by the object's code). Anything else was thrown by
 * the Worker itself: undefined, an internal error.
 */
export function objectFault(error: unknown): ObjectFault | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const flags = error as { overloaded?: unknown; retryable?: unknown; remote?: unknown };
  if (flags.overloaded === true) return "overloaded";
  if (flags.retryable === true) return "retryable";
  if (flags.remote === true) return "failed";
  return undefined;
}

/**
 * The `unavailable` answer to a faulted workspace call, the same over HTTP (a 503 with
 * Retry-After) and over a service binding (an error value).
 */
export function faultError(fault: ObjectFault): ApiErrorBody {
  const seconds = RETRY_AFTER_SECONDS[fault];
  const why =
    fault === "overloaded"
      ? "is overloaded"
      : fault === "retryable"
        ? "is briefly unreachable"
        : "failed to answer";
  return {
    code: "unavailable",
    message: `The workspace ${why}; nothing was decided. Retry in ${seconds} s (a mutating call with the same Idempotency-Key).`,
  };
}

export function invalid(issues: FieldIssue[]): ApiError {
  const named = issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; ");
  return new ApiError("invalid_request", `Invalid request: ${named}`, issues);
}

const RETRY_AFTER_HEADER = {
  "Retry-After": {
    description: `Seconds to wait before retrying: ${RETRY_AFTER_SECONDS.retryable} after a transient fault, ${RETRY_AFTER_SECONDS.overloaded} when the workspace is overloaded, ${RETRY_AFTER_SECONDS.failed} after a failure in the workspace.`,
    schema: { type: "integer" as const, minimum: 1 },
    required: true,
  },
};

/**
 * The `details` of the codes that carry a reason; any other code's details are free-form. Built
 * on first use, when the OpenAPI document is, not at import: a request never needs them.
 */
let reasonDetails: Partial<Record<ErrorCode, z.ZodType>> | undefined;
const detailsOf = (code: ErrorCode | undefined): z.ZodType | undefined => {
  reasonDetails ??= {
    unauthenticated: z
      .object({ reason: z.enum(UNAUTHENTICATED_REASONS) })
      .openapi("UnauthenticatedDetails"),
    forbidden: z
      .object({ reason: z.enum(FORBIDDEN_REASONS) })
      .openapi("ForbiddenDetails")
      .optional(),
  };
  return code === undefined ? undefined : reasonDetails[code];
};

const errorSchemaFor = (codes: readonly ErrorCode[]) =>
  z
    .object({
      error: z.object({
        code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
        message: z.string(),
        // A status shared by several codes (409) keeps free-form details.
        details: (codes.length === 1 ? detailsOf(codes[0]) : undefined) ?? z.unknown().optional(),
        requestId: z.string().openapi({
          description:
            "The request's id, also sent as the `x-request-id` header of every response: the `cf-ray` of the request at Cloudflare's edge, else a random UUID. Quote it when reporting a problem; the request's log line carries it.",
          example: "8e0f6f3b5c1a2d4e-AMS",
        }),
      }),
    })
    .openapi({ description: codes.map((c) => `\`${c}\`: ${ERROR_DESCRIPTIONS[c]}`).join(" ") });

/**
 * OpenAPI `responses` entries for the given codes, grouped by HTTP status. Every route lists
 * the codes it can return through this, so the document is generated from the same enum.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const all: ErrorCode[] = [
    ...new Set<ErrorCode>([
      "unauthenticated",
      "payload_too_large",
      "server_misconfigured",
      "internal_error",
      "unavailable",
      ...codes,
    ]),
  ];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<
    number,
    {
      description: string;
      content: Record<string, unknown>;
      headers?: typeof RETRY_AFTER_HEADER;
    }
  > = {};
  for (const [status, list] of byStatus) {
    responses[status] = {
      description: list.join(", "),
      content: { "application/json": { schema: errorSchemaFor(list) } },
      ...(list.includes("unavailable") && { headers: RETRY_AFTER_HEADER }),
    };
  }
  return responses;
}
