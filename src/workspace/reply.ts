import { fail, type Outcome } from "../outcome";
import type { Instant } from "../policy/time";
import type { Store } from "../storage";
import type { CallMeta } from "./context";
import { idempotencyConflict, priorOf } from "./idempotency";

/** An outcome as the caller sees it: `replayed` marks an answer served from an Idempotency-Key. */
export type Reply<T> = Outcome<T> & { replayed?: boolean };

/** Thrown inside the object's transaction to undo its writes and answer an error instead. */
export class Rollback {
  constructor(readonly outcome: Outcome<never>) {}
}

export const noSubscription = () =>
  fail<never>("not_found", "This workspace has no subscription yet; PUT its subscription first.");

/** An answer with its value already JSON (the fast lane's check, src/preflight.ts). */
export const serialized = <T>(reply: Reply<T>): Reply<string> =>
  reply.ok ? { ...reply, value: JSON.stringify(reply.value) } : reply;

/** Replays a known Idempotency-Key (undefined: a new call); a reuse with another body rolls back. */
export function replayOf<T>(store: Store, meta: CallMeta, now: Instant): Reply<T> | undefined {
  const prior = priorOf(store, meta, now);
  if (prior.kind === "conflict") throw new Rollback(idempotencyConflict());
  return prior.kind === "replay" ? { ...(prior.outcome as Outcome<T>), replayed: true } : undefined;
}
