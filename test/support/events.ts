import { env, runInDurableObject } from "cloudflare:test";

/**
 * The workspace's recorded events straight from its storage, in the order they were recorded:
 * reading them applies nothing (the events route is another capability's, and it applies what
 * is due first). The shape is the feed's (`type`, `occurredAt`, `data`), without its delivery.
 */

export interface StoredEventsOptions {
  /** `occurredAt` as epoch milliseconds rather than an ISO-8601 instant. */
  ms?: boolean;
  /** Also each event's id and when it was recorded (epoch milliseconds). */
  recorded?: boolean;
}

export type StoredEvent<O extends StoredEventsOptions = StoredEventsOptions> = {
  type: string;
  occurredAt: O extends { ms: true } ? number : string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the data of many event types
  data: Record<string, any>;
} & (O extends { recorded: true } ? { id: string; recordedAt: number } : unknown);

interface Row extends Record<string, SqlStorageValue> {
  id: string;
  type: string;
  occurred_at: number;
  recorded_at: number;
  data: string;
}

/** The events in `sql` (for a test already inside the object, e.g. with `runInDurableObject`). */
export function eventsIn<const O extends StoredEventsOptions = Record<never, never>>(
  sql: SqlStorage,
  opts?: O,
): StoredEvent<O>[] {
  return sql
    .exec<Row>("SELECT id, type, occurred_at, recorded_at, data FROM events ORDER BY seq")
    .toArray()
    .map(
      (e) =>
        ({
          type: e.type,
          occurredAt: opts?.ms ? e.occurred_at : new Date(e.occurred_at).toISOString(),
          data: JSON.parse(e.data),
          ...(opts?.recorded ? { id: e.id, recordedAt: e.recorded_at } : {}),
        }) as StoredEvent<O>,
    );
}

/** The events of workspace `ws` (its id or its object's stub), read inside its object. */
export function storedEvents<const O extends StoredEventsOptions = Record<never, never>>(
  ws: string | DurableObjectStub,
  opts?: O,
): Promise<StoredEvent<O>[]> {
  const stub = typeof ws === "string" ? env.WORKSPACE.getByName(ws) : ws;
  return runInDurableObject(stub, (_instance, state) => eventsIn(state.storage.sql, opts));
}
