import { z } from "@hono/zod-openapi";
import type { Role } from "../claims";
import type { Env } from "../env";
import { type ApiErrorBody, faultError, objectFault, roleRefused } from "../errors";
import { IDEMPOTENCY_KEY_PATTERN } from "../schemas/common";
import type { CallMeta } from "../workspace/context";
import type { Reply } from "../workspace/object";
import { fingerprint } from "./fingerprint";
import type { AnswerOf, AnyOperation } from "./operation";
import { fieldIssues, invalidBody, parseInput } from "./validate";

/** A refusal of the call itself (bad input, wrong role, no such workspace, unavailable...). */
export interface ErrorResult {
  error: ApiErrorBody;
}

/**
 * Marks an answer replayed from an Idempotency-Key: the call was already answered under this
 * key, this is that first answer, and nothing changed now. HTTP says it with the
 * `Idempotent-Replayed` header; a binding has no headers, so the answer carries it
 * (docs/rules.md#answers-errors-and-callers: a replay answers the first answer).
 */
export interface Replayed {
  replayed?: true;
}

/**
 * What a binding method answers: the HTTP 200 body (with `replayed: true` when it is a
 * replay), or the HTTP error body. Never thrown: `if (result.error)` narrows one from the other.
 */
export type Result<T> = (T & Replayed & { error?: undefined }) | ErrorResult;

/** The last argument of a mutating binding method. */
export interface CallOptions {
  /**
   * Makes the call safe to retry for 24 hours, exactly like the HTTP Idempotency-Key header
   * (and the same key: a retry over HTTP of a call made over a binding is a replay).
   */
  idempotencyKey?: string;
}

const CallOptionsSchema = z
  .strictObject({
    idempotencyKey: z
      .string()
      .regex(IDEMPOTENCY_KEY_PATTERN, "must be 1-255 printable ASCII characters")
      .optional(),
  })
  .optional();

/**
 * What a thrown call to the workspace object means for a binding caller, as for HTTP: a fault of
 * the object (overloaded, briefly unreachable, or failing in its own code) is `unavailable`,
 * nothing was decided and a retry with the same key is safe; anything else is our bug.
 */
export function thrownError(error: unknown): ApiErrorBody {
  const fault = objectFault(error);
  if (fault !== undefined) {
    console.error(`workspace object ${fault}`, error);
    return faultError(fault);
  }
  console.error("unhandled error", error);
  return { code: "internal_error", message: "Unexpected server error." };
}

/**
 * Who calls over a binding: a role over every workspace (a binding is the account's own trust
 * boundary), or a role held for one workspace only, as a token names one
 * (docs/rules.md#answers-errors-and-callers). `workspace` undefined: the binding names none,
 * and every call is refused rather than reaching them all.
 */
export type Caller = Role | { role: Role; workspace: string | undefined };

/**
 * Runs an operation for a service-binding caller: the same guard, role check, workspace scope,
 * validation, fingerprint and object call as the HTTP route, and the same JSON as its body.
 */
export async function invoke<O extends AnyOperation>(
  env: Env,
  caller: Caller,
  op: O,
  raw: { params: Record<string, unknown>; query?: unknown; body?: unknown },
  options?: unknown,
): Promise<Result<AnswerOf<O>>> {
  const role = typeof caller === "string" ? caller : caller.role;
  const refused = op.guard?.(env);
  if (refused !== undefined) return { error: refused };
  if (!op.roles.includes(role)) {
    return { error: roleRefused(op.roles) };
  }
  // Like a token for another workspace over HTTP: refused before the input is even read.
  if (typeof caller === "object") {
    if (caller.workspace === undefined) {
      return {
        error: {
          code: "forbidden",
          message: 'This binding names no workspace: set props = { workspace = "…" } on it.',
          details: { reason: "binding_scope" },
        },
      };
    }
    if (raw.params.ws !== caller.workspace) {
      return {
        error: {
          code: "forbidden",
          message: "This binding belongs to another workspace.",
          details: { reason: "binding_scope" },
        },
      };
    }
  }
  const parsedOptions = CallOptionsSchema.safeParse(options);
  const input = parseInput(op, raw);
  if (!parsedOptions.success || !input.ok) {
    const issues = input.ok ? [] : input.issues;
    if (!parsedOptions.success) issues.push(...fieldIssues(parsedOptions.error, ["options"]));
    return { error: invalidBody(issues) };
  }
  const key = op.idempotent ? parsedOptions.data?.idempotencyKey : undefined;
  const meta: CallMeta = { role };
  if (key !== undefined) {
    meta.idempotencyKey = key;
    meta.fingerprint = await fingerprint(op.name, input.value);
  }
  let outcome: Reply<unknown>;
  try {
    outcome = await op.run(env.WORKSPACE.getByName(input.value.params.ws), input.value, meta);
  } catch (error) {
    return { error: thrownError(error) };
  }
  if (!outcome.ok) return { error: outcome.error };
  // Exactly the JSON an HTTP caller reads: no `undefined` members, no other types.
  const answer: AnswerOf<O> & Replayed & { error?: undefined } = JSON.parse(
    JSON.stringify(outcome.value),
  );
  // Where HTTP adds its Idempotent-Replayed header; a first answer carries no such member.
  if (outcome.replayed === true) answer.replayed = true;
  return answer;
}
