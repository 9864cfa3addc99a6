import type { DueIndexEnv } from "../dueIndex";

/**
 * The bindings the workspace object reads: the due index and the fleet index it reports to, the
 * test-clock switch and the webhook. Declared here rather than taken from src/env.ts, which
 * names the object's own class (its namespace binding), so the two never import each other
 * (scripts/check-cycles.mjs).
 */
export interface WorkspaceEnv extends DueIndexEnv {
  /** "on" enables PUT /v1/workspaces/{ws}/test-clock; anything else hides it (404). */
  TEST_CLOCKS?: string;
  /** Where every event is POSTed, signed per Standard Webhooks; unset = no deliveries. */
  WEBHOOK_URL?: string;
  /** The `whsec_` signing secret of WEBHOOK_URL. */
  WEBHOOK_SECRET?: string;
  /**
   * The fleet index (D1, migrations/fleet): one row per workspace and the decisions by reason,
   * written by each workspace's object (src/workspace/fleet.ts), read by /v1/fleet/*
   * (docs/fleet.md). Unbound, objects report nothing and the fleet routes answer 500.
   */
  FLEET?: D1Database;
  /**
   * "manual": objects report to the fleet index only when their due work runs (alarm, cron,
   * test clock) or when asked, never arming an alarm of their own for it (the workerd tests,
   * which drive reports themselves); anything else: within a minute of a change. The daily
   * roll-ups follow the same switch: manual, only due work brings them up to date
   * (archive/rollupWork.ts).
   */
  FLEET_REPORTS?: string;
  /**
   * The history archive (R2, docs/history.md): ledger entries and events past the object's raw
   * window, per workspace and UTC day. Unbound, the object archives and deletes nothing.
   */
  ARCHIVE?: R2Bucket;
}
