import type { z } from "@hono/zod-openapi";
import { type ApiErrorBody, type FieldIssue, invalid } from "../errors";
import type { AnyOperation } from "./operation";

/** Every failing field of a zod error, named by its path relative to where it was sent. */
export function fieldIssues(error: z.ZodError, prefix: readonly string[] = []): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    // An unknown key is named by its own path, so the caller sees which field to drop.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...path, key].join("."),
        message: "is not a known field",
      }));
    }
    return [{ path: path.join("."), message: issue.message }];
  });
}

export const invalidBody = (issues: FieldIssue[]): ApiErrorBody => {
  const error = invalid(issues);
  return { code: error.code, message: error.message, details: error.details };
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/**
 * Validates an operation's raw input with its own schemas, the ones HTTP validates with: every
 * failing field of params, query and body at once. Path-like parameters are named by their
 * own name (`ws`, `id`), body fields by their path in the body, as over HTTP.
 */
export function parseInput(
  op: AnyOperation,
  raw: { params: unknown; query?: unknown; body?: unknown },
): Parsed<{ params: Record<string, unknown> & { ws: string }; query: unknown; body: unknown }> {
  const issues: FieldIssue[] = [];
  const params = op.params.safeParse(raw.params);
  if (!params.success) issues.push(...fieldIssues(params.error));
  let query: unknown;
  if (op.query !== undefined) {
    const parsed = (op.query as z.ZodType).safeParse(raw.query ?? {});
    if (parsed.success) query = parsed.data;
    else issues.push(...fieldIssues(parsed.error));
  }
  let body: unknown;
  if (op.body !== undefined) {
    const parsed = (op.body as z.ZodType).safeParse(raw.body);
    if (parsed.success) body = parsed.data;
    else issues.push(...fieldIssues(parsed.error));
  }
  if (!params.success || issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: { params: params.data as Record<string, unknown> & { ws: string }, query, body },
  };
}
