import type { Claims } from "./claims";
import type { Env } from "./env";
import type { CallMeta } from "./workspace/context";

export interface AppEnv {
  Bindings: Env;
  Variables: { claims: Claims; call: CallMeta };
}
