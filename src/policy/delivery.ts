import { DAY_MS, HOUR_MS, type Instant, SECOND_MS } from "./time";

/**
 * Webhook delivery rules (docs/rules.md, "Events and due work"): at least once, in order, backoff,
 * give up after 3 days.
 */

/** The first retry comes this long after the first failure ("within 10 s"). */
export const FIRST_RETRY_DELAY_MS = 5 * SECOND_MS;
/** Each further failure multiplies the wait by this factor... */
export const RETRY_BACKOFF_FACTOR = 4;
/** ...up to this wait, so a receiver that comes back is tried again within hours, not days. */
export const MAX_RETRY_DELAY_MS = 6 * HOUR_MS;
/** An event not delivered within this long after it was recorded is marked failed. */
export const GIVE_UP_AFTER_MS = 3 * DAY_MS;
/** One attempt waits this long for the receiver's answer; no answer counts as a failure. */
export const ATTEMPT_TIMEOUT_MS = 5 * SECOND_MS;
/** Events are kept at least this long (delivered, failed or disabled ones are pruned after). */
export const EVENT_RETENTION_MS = 90 * DAY_MS;

/**
 * `pending`: waiting for its (next) attempt; `delivered`: a receiver answered 2xx; `failed`: no
 * attempt succeeded within GIVE_UP_AFTER_MS; `disabled`: no webhook was configured when the event
 * was recorded, so it is only in the feed.
 */
export type DeliveryStatus = "pending" | "delivered" | "failed" | "disabled";

export interface Delivery {
  status: DeliveryStatus;
  attempts: number;
  recordedAt: Instant;
  nextAttemptAt: Instant | null;
  lastAttemptAt: Instant | null;
  lastError: string | null;
  deliveredAt: Instant | null;
}

export type AttemptResult = { ok: true } | { ok: false; error: string };

/** The wait after the `failures`-th failed attempt: 5 s, 20 s, 80 s, 5⅓ min, ... up to 6 h. */
export function retryDelay(failures: number): number {
  const exponent = Math.max(0, failures - 1);
  // Past the cap the power only grows; stop before it overflows into Infinity.
  if (exponent >= 16) return MAX_RETRY_DELAY_MS;
  return Math.min(FIRST_RETRY_DELAY_MS * RETRY_BACKOFF_FACTOR ** exponent, MAX_RETRY_DELAY_MS);
}

export const giveUpAt = (delivery: Delivery): Instant => delivery.recordedAt + GIVE_UP_AFTER_MS;

/**
 * The delivery after one attempt at `at`. A failure schedules the next attempt, never later than
 * the give-up instant (so the last try happens at the 3-day mark), and an attempt that fails at or
 * after that instant marks the event failed. The clock starts when the event was recorded, not at
 * its first attempt: a failing event holds back the ones after it, and they share its outage.
 */
export function afterAttempt(delivery: Delivery, result: AttemptResult, at: Instant): Delivery {
  const attempts = delivery.attempts + 1;
  if (result.ok) {
    return {
      ...delivery,
      status: "delivered",
      attempts,
      nextAttemptAt: null,
      lastAttemptAt: at,
      lastError: null,
      deliveredAt: at,
    };
  }
  const deadline = giveUpAt(delivery);
  if (at >= deadline) {
    return {
      ...delivery,
      status: "failed",
      attempts,
      nextAttemptAt: null,
      lastAttemptAt: at,
      lastError: result.error,
    };
  }
  return {
    ...delivery,
    status: "pending",
    attempts,
    nextAttemptAt: Math.min(at + retryDelay(attempts), deadline),
    lastAttemptAt: at,
    lastError: result.error,
  };
}

/** Whether the event is due for an attempt at `now` (only the oldest pending one is ever tried). */
export const isDue = (delivery: Delivery, now: Instant): boolean =>
  delivery.status === "pending" && (delivery.nextAttemptAt ?? delivery.recordedAt) <= now;
