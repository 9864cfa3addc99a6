import { type Outcome, ok } from "../outcome";
import type { Delivery, DeliveryStatus } from "../policy/delivery";
import type { PolicyEvent } from "../policy/events";
import { type Instant, iso, isoOrNull } from "../policy/time";
import type { Migration, Store } from "../storage";
import { nextCursor, readCursor } from "./cursors";
import type { Domain } from "./domain";

export const eventMigrations: Migration[] = [
  {
    name: "events_v1",
    statements: [
      `CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        data TEXT NOT NULL
      )`,
    ],
  },
  {
    // Webhook delivery state of each event. Rows recorded before it existed were never meant to
    // be delivered: they become `disabled`, dated by when they occurred.
    name: "events_delivery_v1",
    statements: [
      "ALTER TABLE events ADD COLUMN recorded_at INTEGER",
      "ALTER TABLE events ADD COLUMN delivery_status TEXT NOT NULL DEFAULT 'disabled'",
      "ALTER TABLE events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE events ADD COLUMN next_attempt_at INTEGER",
      "ALTER TABLE events ADD COLUMN last_attempt_at INTEGER",
      "ALTER TABLE events ADD COLUMN last_error TEXT",
      "ALTER TABLE events ADD COLUMN delivered_at INTEGER",
      "UPDATE events SET recorded_at = occurred_at WHERE recorded_at IS NULL",
      // Retention prunes by age; deliveries only ever look at the oldest pending event.
      "CREATE INDEX events_recorded_at ON events (recorded_at)",
      "CREATE INDEX events_pending ON events (seq) WHERE delivery_status = 'pending'",
    ],
  },
];

/**
 * Whether this deployment has a webhook, noted by the object when it starts (the env is fixed
 * for an object's lifetime). Events recorded without one are `disabled` at once: configuring a
 * webhook later does not replay up to 90 days of history to it.
 */
const WEBHOOK_META_KEY = "webhookConfigured";

export function noteWebhookConfigured(store: Store, configured: boolean): void {
  if (store.getMeta<boolean>(WEBHOOK_META_KEY) !== configured) {
    store.setMeta(WEBHOOK_META_KEY, configured);
  }
}

/** Appends events in the caller's transaction, so an event exists exactly when its cause does. */
export function recordEvents(store: Store, events: readonly PolicyEvent[], now: Instant): void {
  if (events.length === 0) return;
  store.eventsRecorded += events.length;
  const status: DeliveryStatus = store.getMeta<boolean>(WEBHOOK_META_KEY) ? "pending" : "disabled";
  for (const event of events) {
    store.run(
      `INSERT INTO events (id, type, occurred_at, data, recorded_at, delivery_status, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      `evt_${crypto.randomUUID().replaceAll("-", "")}`,
      event.type,
      event.at ?? now,
      JSON.stringify(event.data),
      now,
      status,
      status === "pending" ? now : null,
    );
  }
}

export interface EventRow {
  seq: number;
  id: string;
  type: string;
  occurred_at: number;
  data: string;
  recorded_at: number;
  delivery_status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export const deliveryOf = (row: EventRow): Delivery => ({
  status: row.delivery_status,
  attempts: row.attempts,
  recordedAt: row.recorded_at,
  nextAttemptAt: row.next_attempt_at,
  lastAttemptAt: row.last_attempt_at,
  lastError: row.last_error,
  deliveredAt: row.delivered_at,
});

/** An event as receivers and the feed see it (docs/rules.md, "Events and due work"). */
export const eventBody = (row: EventRow, workspaceId: string) => ({
  id: row.id,
  type: row.type,
  workspaceId,
  occurredAt: iso(row.occurred_at),
  data: JSON.parse(row.data) as Record<string, unknown>,
});

function eventView(row: EventRow, workspaceId: string) {
  return {
    ...eventBody(row, workspaceId),
    delivery: {
      status: row.delivery_status,
      attempts: row.attempts,
      lastAttemptAt: isoOrNull(row.last_attempt_at),
      lastError: row.last_error,
      nextAttemptAt: isoOrNull(row.next_attempt_at),
      deliveredAt: isoOrNull(row.delivered_at),
    },
  };
}
type EventView = ReturnType<typeof eventView>;

/**
 * One page of the feed. The cursor names the sequence number of the last event seen: sequence
 * numbers only grow and are never reused (AUTOINCREMENT), so a cursor stays valid across new
 * events and pruning, and a client polling with `nextCursor` sees each event once, in order. A
 * cursor this feed never issued (another workspace's, or past the newest) is refused.
 */
export async function eventsPage(
  store: Store,
  workspaceId: string,
  after: string | undefined,
  limit: number,
): Promise<Outcome<EventsPage>> {
  const cursor = await readCursor(store, "events", workspaceId, "events", after);
  if (!cursor.ok) return cursor;
  const rows = store.all<EventRow>(
    "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    cursor.value?.[0] ?? 0,
    limit + 1,
  );
  const page = rows.slice(0, limit);
  return ok({
    events: page.map((row) => eventView(row, workspaceId)),
    nextCursor: await nextCursor(store, "events", workspaceId, cursor.value, page.at(-1)?.seq),
    hasMore: rows.length > limit,
  });
}

export interface EventsPage {
  events: EventView[];
  nextCursor: string;
  hasMore: boolean;
}

/**
 * Events as one of the object's domains: their table. Their retention is the archive's
 * (archive/index.ts): an event leaves the object once written to the archive, never before.
 */
export const eventsDomain: Domain = {
  migrations: eventMigrations,
};
