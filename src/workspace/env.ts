import type { DueIndexEnv } from "../dueIndex";

/**
 * The bindings the workspace object reads: the due index it reports to, the test-clock switch
 * and the webhook. Declared here rather than taken from src/env.ts, which names the object's own
 * class (its namespace binding), so the two never import each other (scripts/check-cycles.mjs).
 */
export interface WorkspaceEnv extends DueIndexEnv {
  /** "on" enables PUT /v1/workspaces/{ws}/test-clock; anything else hides it (404). */
  TEST_CLOCKS?: string;
  /** Where every event is POSTed, signed per Standard Webhooks; unset = no deliveries. */
  WEBHOOK_URL?: string;
  /** The `whsec_` signing secret of WEBHOOK_URL. */
  WEBHOOK_SECRET?: string;
}
