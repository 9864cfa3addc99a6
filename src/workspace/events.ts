import type { PolicyEvent } from "../policy/events";
import type { Instant } from "../policy/time";
import type { Migration, Store } from "./store";

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
];

/** Appends events in the caller's transaction, so an event exists exactly when its cause does. */
export function recordEvents(store: Store, events: readonly PolicyEvent[], now: Instant): void {
  for (const event of events) {
    store.run(
      "INSERT INTO events (id, type, occurred_at, data) VALUES (?, ?, ?, ?)",
      `evt_${crypto.randomUUID().replaceAll("-", "")}`,
      event.type,
      event.at ?? now,
      JSON.stringify(event.data),
    );
  }
}
