import type { WorkspaceObject } from "./workspace/object";

export interface Env {
  WORKSPACE: DurableObjectNamespace<WorkspaceObject>;
  /** HS256 secret for bearer tokens; without it the Worker refuses every request. */
  AUTH_SECRET?: string;
  /** "on" enables PUT /v1/workspaces/{ws}/test-clock; anything else hides it (404). */
  TEST_CLOCKS?: string;
  WEBHOOK_URL?: string;
  WEBHOOK_SECRET?: string;
}
