/** Event types (docs/rules.md, "Events and due work"). */
export const EVENT_TYPES = [
  "limit.reached",
  "limit.enforced",
  "limit.resolved",
  "channel.disabled",
  "entity.blocked",
  "entity.unblocked",
  "credits.threshold",
  "credits.reset",
  "agent.activation_refused",
  "agent.deactivated",
  "credits.alert",
  "credits.forecast",
  "limits.changed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a policy decides should be announced; the object gives it an id and a time. */
export interface PolicyEvent {
  type: EventType;
  data: Record<string, unknown>;
  /** When it logically happened, if earlier than the call that applies it (a lazy grace end). */
  at?: number;
}
