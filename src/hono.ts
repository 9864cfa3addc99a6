import type { Claims } from "./claims";
import type { Env } from "./env";
import type { CallMeta } from "./workspace/context";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    claims: Claims;
    call: CallMeta;
    /** This request's id (src/respond.ts#requestIdOf): its x-request-id and `error.requestId`. */
    requestId: string;
    /** Why the answer refused, for the request's log line (src/requestLog.ts). */
    reason: string | null;
  };
}
