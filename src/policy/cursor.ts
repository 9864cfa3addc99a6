import type { ChannelKind } from "./channels";

/**
 * Page cursors of the feeds read in order (events, the credit ledger, channel lists). A cursor is
 * opaque to clients: base64url of `version.feed.workspace.position`, so the service can tell a
 * cursor of another feed or another workspace from its own and refuse it (a 400), instead of
 * answering an empty page a poller would wait on forever. Whether the position was ever issued
 * is the feed's question (its sequence's high-water mark), asked where the storage is.
 */

export type Feed = "events" | "ledger" | `channels-${ChannelKind}`;

/** What a position holds, per feed: the sequence of the last item seen, or its sort key. */
export const POSITION_ARITY: Record<Feed, number> = {
  events: 1,
  ledger: 1,
  // (connectedAt, seq): channels list earliest connected first.
  "channels-whatsapp": 2,
  "channels-instagram": 2,
};

const FEED_LABEL: Record<Feed, string> = {
  events: "the event feed",
  ledger: "the credit ledger",
  "channels-whatsapp": "the WhatsApp channel list",
  "channels-instagram": "the Instagram channel list",
};

export const feedLabel = (feed: Feed): string => FEED_LABEL[feed];

const VERSION = "1";
/** Cursors are short; the bound keeps a query parameter from being anything else. */
export const MAX_CURSOR_LENGTH = 256;
/** What a cursor looks like on the wire (at most MAX_CURSOR_LENGTH): base64url, or `0`. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;
/** The cursor that means "from the oldest kept", accepted on every feed. */
export const START_CURSOR = "0";

const INTEGER = /^-?(0|[1-9][0-9]{0,15})$/;
const WORKSPACE = /^[A-Za-z0-9_-]{1,64}$/;

const toBase64url = (text: string) =>
  btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

function fromBase64url(cursor: string): string | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR_PATTERN.test(cursor)) return undefined;
  try {
    return atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return undefined;
  }
}

export function encodeCursor(feed: Feed, workspaceId: string, position: readonly number[]): string {
  return toBase64url([VERSION, feed, workspaceId, ...position.map(String)].join("."));
}

/**
 * The cursor after a page of a feed in sequence order: at its last item, else (nothing new) the
 * position it was read from, so a poller can reuse it; `0` while the reader is still at the start.
 */
export function nextCursor(
  feed: Feed,
  workspaceId: string,
  from: readonly number[] | null,
  lastSeq: number | undefined,
): string {
  if (lastSeq !== undefined) return encodeCursor(feed, workspaceId, [lastSeq]);
  return from === null ? START_CURSOR : encodeCursor(feed, workspaceId, from);
}

export type CursorRead =
  /** `position` null: from the oldest (no cursor, or `0`). */
  { ok: true; position: number[] | null } | { ok: false; why: string };

/**
 * Reads a cursor sent back to `feed` of `workspaceId`. Refuses, saying why, anything this service
 * did not encode, and a cursor of another feed or another workspace.
 */
export function decodeCursor(
  cursor: string | undefined,
  feed: Feed,
  workspaceId: string,
): CursorRead {
  if (cursor === undefined || cursor === START_CURSOR) return { ok: true, position: null };
  const malformed = {
    ok: false,
    why: "is not a cursor of this API: pass a previous page's nextCursor unchanged, or 0 for the oldest",
  } as const;
  const text = fromBase64url(cursor);
  if (text === undefined) return malformed;
  const [version, sentFeed, sentWorkspace, ...rest] = text.split(".");
  if (version !== VERSION || sentWorkspace === undefined || !WORKSPACE.test(sentWorkspace)) {
    return malformed;
  }
  if (!(sentFeed !== undefined && sentFeed in POSITION_ARITY)) return malformed;
  const arity = POSITION_ARITY[sentFeed as Feed];
  if (rest.length !== arity || !rest.every((part) => INTEGER.test(part))) return malformed;
  const position = rest.map(Number);
  if (!position.every(Number.isSafeInteger)) return malformed;
  // Only this service's own encoding is a cursor (one text, one cursor).
  if (encodeCursor(sentFeed as Feed, sentWorkspace, position) !== cursor) return malformed;
  if (sentFeed !== feed) {
    return {
      ok: false,
      why: `is a cursor of ${feedLabel(sentFeed as Feed)}, not of ${feedLabel(feed)}`,
    };
  }
  if (sentWorkspace !== workspaceId) {
    return { ok: false, why: "is a cursor of another workspace" };
  }
  return { ok: true, position };
}
