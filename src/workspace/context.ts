import type { EffectiveLimits, Subscription } from "../policy/catalogue";
import type { Instant } from "../policy/time";
import type { Store } from "./store";

/** Everything one call of the object works with: its storage, its plan, and the one clock read. */
export interface WorkspaceContext {
  store: Store;
  subscription: Subscription;
  limits: EffectiveLimits;
  now: Instant;
}

export type Role = "platform" | "admin" | "service" | "viewer";

/** Who is calling and how to deduplicate the call; filled in by the route layer. */
export interface CallMeta {
  role: Role;
  idempotencyKey?: string;
  /** Hash of method, path and canonical body: the same key with another request is a conflict. */
  fingerprint?: string;
}
