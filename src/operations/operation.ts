import type { z } from "@hono/zod-openapi";
import type { Role } from "../claims";
import type { Env } from "../env";
import type { ApiErrorBody, ErrorCode } from "../errors";
import { WorkspaceParams } from "../schemas/common";
import type { CallMeta } from "../workspace/context";
import type { Reply, WorkspaceObject } from "../workspace/object";

/**
 * One thing a caller can ask of a workspace, whatever the transport: its schemas, who may ask,
 * whether a retry with the same key is answered once, and the one call to the workspace object
 * that does it. HTTP routes (src/routes/) and the service-binding entrypoints
 * (src/entrypoints.ts) both run operations, so they validate, decide and answer alike.
 */

/** What an operation may take as its path-like parameters or its query: an object schema. */
export type ObjectSchema = z.ZodObject<z.ZodRawShape>;

export type WorkspaceStub = DurableObjectStub<WorkspaceObject>;

/** The validated input of an operation; an operation without a query or body has none. */
export type OperationInput<
  Params extends ObjectSchema,
  Query extends ObjectSchema | undefined,
  Body extends z.ZodType | undefined,
> = { params: z.output<Params> } & (Query extends z.ZodType
  ? { query: z.output<Query> }
  : { query?: undefined }) &
  (Body extends z.ZodType ? { body: z.output<Body> } : { body?: undefined });

export interface OperationSpec<
  Name extends string,
  Res extends z.ZodType,
  Params extends ObjectSchema,
  Query extends ObjectSchema | undefined,
  Body extends z.ZodType | undefined,
> {
  /** The entrypoint method's name and the fingerprint's first line; stable forever. */
  name: Name;
  tags: string[];
  summary: string;
  description?: string;
  roles: readonly Role[];
  /** The workspace (`ws`) and any other identifying parameters; defaults to the workspace. */
  params?: Params;
  query?: Query;
  body?: Body;
  response: Res;
  /** What the answer is, in a few words (the OpenAPI response description). */
  answers: string;
  /** The operation's own error codes, beyond those every workspace operation can answer. */
  errors?: readonly ErrorCode[];
  /** A mutation whose retry with the same Idempotency-Key is answered once, from the ledger. */
  idempotent?: true;
  /** For the call that creates the workspace: it cannot answer "no such workspace". */
  createsWorkspace?: true;
  /** Refuses the call before anything else (even the role check), e.g. a switched-off feature. */
  guard?: (env: Env) => ApiErrorBody | undefined;
  /**
   * Offers the answer as `text/csv` too, for `?format=csv` (HTTP only; the query must declare
   * `format`): the 200 body's figures as finance reads them.
   */
  csv?: (value: z.output<Res>) => string;
  /** Asks the workspace object; its answer must be the response schema's type. */
  run: (
    stub: WorkspaceStub,
    input: OperationInput<Params, Query, Body>,
    meta: CallMeta,
  ) => Promise<Reply<z.output<Res>>>;
  /**
   * The same call answered with its 200 body already serialized by the object, for the HTTP
   * fast lane (src/preflight.ts), which forwards the bytes; the body must be `run`'s value as
   * JSON. Only where carrying the answer is a measured cost (docs/benchmarks.md).
   */
  json?: (
    stub: WorkspaceStub,
    input: OperationInput<Params, Query, Body>,
    meta: CallMeta,
  ) => Promise<Reply<string>>;
}

export interface Operation<
  Name extends string = string,
  Res extends z.ZodType = z.ZodType,
  Params extends ObjectSchema = ObjectSchema,
  Query extends ObjectSchema | undefined = ObjectSchema | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
> extends Omit<OperationSpec<Name, Res, Params, Query, Body>, "params" | "idempotent"> {
  params: Params;
  idempotent: boolean;
  /** Every error code the operation can answer, for the docs and the OpenAPI document. */
  errorCodes: readonly ErrorCode[];
}

/** Any operation, for code that handles them all alike (validation, fingerprints, listings). */
// biome-ignore lint/suspicious/noExplicitAny: the widest operation; each caller keeps its own types
export type AnyOperation = Operation<string, z.ZodType, ObjectSchema, any, any>;

/** The type of an operation's answer (the HTTP 200 body). */
export type AnswerOf<O> = O extends Operation<string, infer Res> ? z.output<Res> : never;

export function operation<
  const Name extends string,
  Res extends z.ZodType,
  Params extends ObjectSchema = typeof WorkspaceParams,
  Query extends ObjectSchema | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
>(spec: OperationSpec<Name, Res, Params, Query, Body>): Operation<Name, Res, Params, Query, Body> {
  const idempotent = spec.idempotent === true;
  const errorCodes: ErrorCode[] = ["invalid_request", "forbidden"];
  if (!spec.createsWorkspace) errorCodes.push("not_found");
  if (idempotent) errorCodes.push("idempotency_conflict");
  for (const code of spec.errors ?? []) if (!errorCodes.includes(code)) errorCodes.push(code);
  return {
    ...spec,
    params: spec.params ?? (WorkspaceParams as unknown as Params),
    idempotent,
    errorCodes,
  };
}
