import { afterAttempt, type Delivery, isDue } from "../policy/delivery";
import type { Instant } from "../policy/time";
import type { Store } from "../storage";
import type { Domain } from "./domain";
import { deliveryOf, type EventRow, eventBody } from "./events";
import { sendWebhook, type WebhookConfig, webhookConfig, webhookConfigured } from "./webhook";

/**
 * Webhook deliveries of one workspace: strictly in event order (only the oldest pending event is
 * ever tried, so a failing event holds back the later ones until it is delivered or failed).
 * Runs from due work, after the transaction that recorded the events: a check or spend never
 * waits for a receiver.
 */

/** Attempts per run; the rest waits for the next run, which the alarm schedules at once. */
export const MAX_DELIVERIES_PER_RUN = 25;
/** Pending events turned `disabled` per run once the webhook is unconfigured. */
const DISABLE_BATCH = 256;

const pendingHead = (store: Store): EventRow | undefined =>
  store.one<EventRow>(
    "SELECT * FROM events WHERE delivery_status = 'pending' ORDER BY seq LIMIT 1",
  );

/**
 * When deliveries next have work: the oldest pending event's next attempt. Without a webhook,
 * pending events (recorded while one was configured) are due at once, to be disabled.
 */
export function deliveryDeadline(store: Store, webhookOn: boolean): Instant | null {
  const head = pendingHead(store);
  if (head === undefined) return null;
  return webhookOn ? (head.next_attempt_at ?? head.recorded_at) : head.recorded_at;
}

function saveDelivery(store: Store, row: EventRow, next: Delivery): void {
  // Guarded by the attempt count it started from, so a stale result can never overwrite a newer one.
  store.run(
    `UPDATE events SET delivery_status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?,
       last_error = ?, delivered_at = ?
     WHERE seq = ? AND delivery_status = 'pending' AND attempts = ?`,
    next.status,
    next.attempts,
    next.nextAttemptAt,
    next.lastAttemptAt,
    next.lastError,
    next.deliveredAt,
    row.seq,
    row.attempts,
  );
}

export interface DeliveryRun {
  attempted: number;
  delivered: number;
}

/**
 * Sends due events oldest first until one fails, none is due, or the per-run bound is reached.
 * `clock` is the workspace's clock (real time, or its frozen test clock), read per attempt.
 * The caller guarantees one run at a time per workspace.
 */
export async function deliverDue(
  store: Store,
  config: WebhookConfig,
  workspaceId: string,
  clock: () => Instant,
): Promise<DeliveryRun> {
  const run: DeliveryRun = { attempted: 0, delivered: 0 };
  if (config.kind === "off") {
    store.run(
      `UPDATE events SET delivery_status = 'disabled', next_attempt_at = NULL WHERE seq IN (
         SELECT seq FROM events WHERE delivery_status = 'pending' ORDER BY seq LIMIT ?)`,
      DISABLE_BATCH,
    );
    return run;
  }
  while (run.attempted < MAX_DELIVERIES_PER_RUN) {
    const row = pendingHead(store);
    if (row === undefined || !isDue(deliveryOf(row), clock())) break;
    const body = eventBody(row, workspaceId);
    // `timestamp` is the Standard Webhooks payload field for when the event occurred.
    const payload = JSON.stringify({ ...body, timestamp: body.occurredAt });
    const result = await sendWebhook(config, row.id, payload);
    run.attempted++;
    saveDelivery(store, row, afterAttempt(deliveryOf(row), result, clock()));
    if (!result.ok) {
      if (config.kind === "broken") console.error(`webhook not sent: ${result.error}`);
      break;
    }
    run.delivered++;
  }
  return run;
}

/**
 * Webhook deliveries as one of the object's domains: due when the oldest pending event's next
 * attempt is, run after due work's transaction (a receiver is never awaited inside one).
 */
export const deliveryDomain: Domain = {
  migrations: [],
  dueDeadline: (site) => deliveryDeadline(site.store, webhookConfigured(site.env)),
  afterDueWork: (site, workspaceId, clock) =>
    deliverDue(site.store, webhookConfig(site.env), workspaceId, clock),
};
