import type { z } from "@hono/zod-openapi";
import type { Role } from "../claims";
import type { Env } from "../env";
import { ApiError, type ApiErrorBody, type ErrorCode, type FieldIssue } from "../errors";
import type { FanOutProgress } from "../policy/fanOut";
import type { Instant } from "../policy/time";
import type { ObjectSchema } from "./operation";
import { fieldIssues, invalidBody } from "./validate";

/**
 * A platform operation: one thing the platform asks of the whole fleet rather than of one
 * workspace (the fleet index, the catalogue), whatever the transport. Like a workspace operation
 * (operation.ts) it names its schemas, its roles, its errors and its one call, and both its HTTP
 * route (src/routes/table.ts, `PLATFORM_ROUTES`) and the QuotaPlatform binding
 * (src/entrypoints.ts) run it, so they validate and answer alike. It reads the fleet's D1
 * instead of a workspace object, and refuses by throwing ApiError (src/errors.ts), as the
 * fleet's reads do.
 */

/** The only role of a platform operation: every workspace at once (HTTP: `ws: "*"` only). */
export const PLATFORM_ROLES = ["platform"] as const satisfies readonly Role[];

export interface PlatformContext {
  env: Env;
  /** The fleet index and the catalogue (D1, binding FLEET). */
  db: D1Database;
  /** The platform's clock, real time; read when asked (a withdrawal reads it twice). */
  now: () => Instant;
  /**
   * Tells the fleet the catalogue changed, before the answer: announces it to every due index
   * shard, which tell their workspaces from their alarms (docs/catalogue.md, "The fan-out").
   * Never rejects: the change is stored, and the cron announces it again within a minute.
   */
  announce: () => Promise<void>;
  /** How far the fan-out of the schedule's generation has come (src/policy/fanOut.ts). */
  fanOutProgress: () => Promise<FanOutProgress>;
}

export interface PlatformInput<
  Params extends ObjectSchema | undefined,
  Query extends ObjectSchema | undefined,
  Body extends z.ZodType | undefined,
> {
  params: Params extends z.ZodType ? z.output<Params> : Record<string, never>;
  query: Query extends z.ZodType ? z.output<Query> : undefined;
  body: Body extends z.ZodType ? z.output<Body> | undefined : undefined;
}

export interface PlatformOperation<
  Name extends string = string,
  Res extends z.ZodType = z.ZodType,
  Params extends ObjectSchema | undefined = ObjectSchema | undefined,
  Query extends ObjectSchema | undefined = ObjectSchema | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** The entrypoint method's name; stable forever. */
  name: Name;
  tags: string[];
  summary: string;
  description?: string;
  params?: Params;
  query?: Query;
  body?: Body;
  /** The body may be left out (the preview's `asOf` defaults to now). */
  bodyOptional?: true;
  response: Res;
  answers: string;
  /** The operation's own error codes, beyond `invalid_request` and `forbidden`. */
  errors?: readonly ErrorCode[];
  run: (ctx: PlatformContext, input: PlatformInput<Params, Query, Body>) => Promise<z.output<Res>>;
  /** The same call as CSV, for `?format=csv` (the query must declare `format`). */
  csv?: (ctx: PlatformContext, input: PlatformInput<Params, Query, Body>) => Promise<string>;
}

/** Any platform operation, for code that handles them all alike. */
// biome-ignore lint/suspicious/noExplicitAny: the widest operation; each caller keeps its own types
export type AnyPlatformOperation = PlatformOperation<string, z.ZodType, any, any, any>;

export function platformOperation<
  const Name extends string,
  Res extends z.ZodType,
  Params extends ObjectSchema | undefined = undefined,
  Query extends ObjectSchema | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
>(
  spec: PlatformOperation<Name, Res, Params, Query, Body>,
): PlatformOperation<Name, Res, Params, Query, Body> {
  return spec;
}

/** Every error code a platform operation can answer, for the OpenAPI document. */
export const platformErrorCodes = (op: AnyPlatformOperation): ErrorCode[] => [
  ...new Set<ErrorCode>(["invalid_request", "forbidden", ...(op.errors ?? [])]),
];

/** The fleet's D1; a deployment without it answers 500 saying so (docs/operations.md). */
export function fleetDatabase(env: Env): D1Database {
  if (env.FLEET === undefined) {
    throw new ApiError(
      "server_misconfigured",
      "The fleet index (the D1 binding FLEET) is not configured: see docs/operations.md.",
    );
  }
  return env.FLEET;
}

/** A platform operation's raw input validated with its own schemas (the binding's side). */
function parsePlatformInput(
  op: AnyPlatformOperation,
  raw: { params?: unknown; query?: unknown; body?: unknown },
): { ok: true; value: PlatformInput<never, never, never> } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const part = (schema: z.ZodType | undefined, value: unknown, fallback: unknown) => {
    if (schema === undefined) return fallback;
    if (value === undefined && schema === op.body && op.bodyOptional) return undefined;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    issues.push(...fieldIssues(parsed.error));
    return undefined;
  };
  const value = {
    params: part(op.params, raw.params ?? {}, {}),
    query: part(op.query, raw.query ?? {}, undefined),
    body: part(op.body, raw.body, undefined),
  } as PlatformInput<never, never, never>;
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

/** What a QuotaPlatform method answers: the HTTP 200 body (or `{csv}`), or the error body. */
export type PlatformResult<T> = (T & { error?: undefined }) | { error: ApiErrorBody };

/** What a caller waits before retrying a platform call whose store (D1, R2) did not answer. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * A failure of the stores a platform operation reads (the fleet index's D1, the archive's R2,
 * the due index): their errors are plain `Error`s (`D1_ERROR: …`) or a Durable Object's marked
 * ones. The runtime's own error classes (a TypeError, a RangeError …) are this code's bugs, left
 * to be the 500 they are, so a bug never hides behind a "retry later".
 */
function isStoreFailure(error: unknown): boolean {
  if (error instanceof ApiError || !(error instanceof Error)) return false;
  return !(
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

/**
 * Runs a platform operation, for its HTTP route and its binding alike: its JSON answer, or its
 * CSV text when it has one and `format` asks for it. A store that fails to answer is the 503
 * `unavailable` every route answers when what it needs cannot answer (docs/api.md#errors), never
 * a 500: D1 down or a table missing is an outage to wait out, not a bug (docs/catalogue.md,
 * "When D1 is down").
 */
export function runPlatform<O extends AnyPlatformOperation>(
  op: O,
  ctx: PlatformContext,
  input: PlatformInput<never, never, never>,
): Promise<{ csv: string } | { json: z.output<O["response"]> }> {
  return whenStoresAnswer(op.name, async () => {
    const format = (input.query as { format?: string } | undefined)?.format;
    // Only an operation with a CSV answer reads `format` (the preview, whose method says so).
    if (op.csv !== undefined && format === "csv") return { csv: await op.csv(ctx, input) };
    return { json: (await op.run(ctx, input)) as z.output<O["response"]> };
  });
}

/** Runs `what`, turning a store's failure into the 503 `unavailable` (see runPlatform). */
export async function whenStoresAnswer<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isStoreFailure(error)) throw error;
    console.error(`${what}: a store did not answer`, error);
    throw new ApiError(
      "unavailable",
      `The fleet index or the archive did not answer; nothing was decided from it. Retry in ${STORE_RETRY_AFTER_SECONDS} s.`,
      undefined,
      STORE_RETRY_AFTER_SECONDS,
    );
  }
}

/**
 * Runs a platform operation for a binding caller (QuotaPlatform: the platform, every workspace):
 * the same validation and the same JSON as its HTTP route; a refusal is `{error}`, never thrown.
 * `format: "csv"` answers `{csv}`: the text the route answers as text/csv.
 */
export async function invokePlatform<O extends AnyPlatformOperation>(
  env: Env,
  op: O,
  raw: { params?: unknown; query?: unknown; body?: unknown },
  fleet: { announce: () => Promise<void>; fanOutProgress: () => Promise<FanOutProgress> },
): Promise<PlatformResult<z.output<O["response"]>>> {
  const input = parsePlatformInput(op, raw);
  if (!input.ok) return { error: invalidBody(input.issues) };
  try {
    const ctx: PlatformContext = { env, db: fleetDatabase(env), now: Date.now, ...fleet };
    const answer = await runPlatform(op, ctx, input.value);
    if ("csv" in answer) return answer as never;
    return JSON.parse(JSON.stringify(answer.json));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const body: ApiErrorBody = { code: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    return { error: body };
  }
}
