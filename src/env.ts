import type { DueIndex } from "./cron/dueIndex";
import type { WorkspaceObject } from "./workspace/object";

export interface Env {
  WORKSPACE: DurableObjectNamespace<WorkspaceObject>;
  /** The sharded index of workspaces with due work, read by the cron (src/cron/dueIndex.ts). */
  DUE_INDEX: DurableObjectNamespace<DueIndex>;
  /**
   * The fleet index (D1, migrations/fleet): one row per workspace and the decisions by reason,
   * written by each workspace's object, read by /v1/fleet/* (docs/fleet.md). Unbound, objects
   * report nothing and the fleet routes answer 500.
   */
  FLEET?: D1Database;
  /**
   * "manual": objects report to the fleet index only when their due work runs (alarm, cron,
   * test clock) or when asked, never arming an alarm of their own for it (the workerd tests,
   * which drive reports themselves); anything else: within a minute of a change.
   */
  FLEET_REPORTS?: string;
  /** HS256 secret for bearer tokens; without it the Worker refuses every request. */
  AUTH_SECRET?: string;
  /** "on" enables PUT /v1/workspaces/{ws}/test-clock; anything else hides it (404). */
  TEST_CLOCKS?: string;
  /** Where every event is POSTed, signed per Standard Webhooks; unset = no deliveries. */
  WEBHOOK_URL?: string;
  /** The `whsec_` signing secret of WEBHOOK_URL. */
  WEBHOOK_SECRET?: string;
}
