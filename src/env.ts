import type { WorkspaceEnv } from "./workspace/env";
import type { WorkspaceObject } from "./workspace/object";

/** The Worker's bindings: the object's (src/workspace/env.ts, the due index among them) and these. */
export interface Env extends WorkspaceEnv {
  WORKSPACE: DurableObjectNamespace<WorkspaceObject>;
  /** HS256 secret for bearer tokens; without it the Worker refuses every request. */
  AUTH_SECRET?: string;
  /** "off" silences the one log line per request (src/requestLog.ts); the test configs set it. */
  LOG_REQUESTS?: string;
  /**
   * "off": neither a publish nor the cron announces the catalogue to the due index, so no
   * workspace is told (the tests of a lost fan-out); docs/catalogue.md.
   */
  CATALOGUE_FAN_OUT?: string;
}
