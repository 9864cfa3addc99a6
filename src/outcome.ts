/**
 * What a decision answers, apart from any transport: the error codes and the `Outcome` of every
 * workspace operation. No zod and no HTTP, so pure policy (src/policy) and the workspace object
 * build their answers with it; the HTTP statuses, error schemas and the object-fault answer live
 * in the HTTP layer (src/errors.ts).
 */

/** The one list of error codes (docs/rules.md#answers-errors-and-callers). */
export const ERROR_CODES = [
  "invalid_request",
  "unauthenticated",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "idempotency_conflict",
  "already_exists",
  "version_locked",
  "entity_blocked",
  "reservation_not_found",
  "reservation_already_committed",
  "reservation_already_released",
  "reservation_expired",
  "too_many_packages",
  "ledger_entry_archived",
  "too_many_topups",
  "too_many_alert_rules",
  "payload_too_large",
  "server_misconfigured",
  "internal_error",
  "unavailable",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error answer: its code, a message for people, and details a client can act on. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The result of every workspace operation: a value, or an error that changed nothing. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const fail = <T = never>(code: ErrorCode, message: string, details?: unknown): Outcome<T> =>
  details === undefined
    ? { ok: false, error: { code, message } }
    : { ok: false, error: { code, message, details } };
