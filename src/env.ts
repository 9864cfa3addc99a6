import type { DueIndex } from "./cron/dueIndex";
import type { WorkspaceObject } from "./workspace/object";

export interface Env {
  WORKSPACE: DurableObjectNamespace<WorkspaceObject>;
  /** The sharded index of workspaces with due work, read by the cron (src/cron/dueIndex.ts). */
  DUE_INDEX: DurableObjectNamespace<DueIndex>;
  /** HS256 secret for bearer tokens; without it the Worker refuses every request. */
  AUTH_SECRET?: string;
  /** "on" enables PUT /v1/workspaces/{ws}/test-clock; anything else hides it (404). */
  TEST_CLOCKS?: string;
  /** Where every event is POSTed, signed per Standard Webhooks; unset = no deliveries. */
  WEBHOOK_URL?: string;
  /** The `whsec_` signing secret of WEBHOOK_URL. */
  WEBHOOK_SECRET?: string;
}
