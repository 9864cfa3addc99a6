import type { Instant } from "./time";

// The live balance (docs/rules.md#the-live-balance): who may watch, how many, how often.

/** The most sockets one workspace keeps open; the next is refused with a close reason. */
export const MAX_LIVE_SOCKETS = 100;
/** A ticket lets one socket in, once, this long after it was issued. */
export const LIVE_TICKET_TTL_SECONDS = 30;
/** Pushes are at least this far apart: at most 4 a second, each change within a quarter second. */
export const LIVE_PUSH_INTERVAL_MS = 250;
/** A ticket as issued: 32 random bytes, base64url without padding. */
export const LIVE_TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The close code of a refused socket: 1013, "try again later" (RFC 6455's registry). */
export const LIVE_FULL_CLOSE_CODE = 1013;
export const LIVE_FULL_REASON = `This workspace already has ${MAX_LIVE_SOCKETS} live connections, the most it keeps; poll instead.`;

/** Why a ticket does not let a socket in. */
export type TicketRefusal = "ticket_unknown" | "ticket_expired" | "ticket_used";

/** A stored ticket: when it lapses and when it was used (null: not yet). */
export interface TicketRow {
  expires_at: number;
  used_at: number | null;
}

/**
 * Whether a ticket lets a socket in at `now`. A ticket of another workspace is unknown here:
 * each workspace keeps its own.
 */
export function ticketRefusal(row: TicketRow | undefined, now: Instant): TicketRefusal | null {
  if (row === undefined) return "ticket_unknown";
  if (row.used_at !== null) return "ticket_used";
  if (now >= row.expires_at) return "ticket_expired";
  return null;
}

export const TICKET_REFUSAL_MESSAGES: Record<TicketRefusal, string> = {
  ticket_unknown:
    "This live ticket is unknown to this workspace: ask POST .../live/ticket for one, then connect within 30 seconds.",
  ticket_expired: "This live ticket expired (tickets last 30 seconds): ask for a new one.",
  ticket_used:
    "This live ticket was already used (a ticket lets one connection in): ask for a new one.",
};

/** The ticket's lapse: issued at `now`, good for LIVE_TICKET_TTL_SECONDS. */
export const ticketExpiry = (now: Instant): Instant => now + LIVE_TICKET_TTL_SECONDS * 1000;
