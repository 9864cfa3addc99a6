import type { ChannelKind } from "./channels";
import { WORKSPACE_ID_PATTERN } from "./patterns";

/**
 * Page cursors of the feeds read in order (events, the credit ledger, channel lists). A cursor is
 * opaque to clients: `base64url(version.feed.workspace.position).base64url(tag)`, where the tag
 * authenticates the rest with a key only the workspace holds (src/workspace/cursors.ts). So the
 * service tells its own cursors from anything else: a cursor of another feed or workspace, or one
 * it never issued, is refused (a 400), never answered with an empty page a poller would wait on
 * forever. This module is the text format; signing and checking the tag need the key and happen
 * where the storage is.
 */

export type Feed = "events" | "ledger" | "ledger-view" | `channels-${ChannelKind}`;

/** What a position holds, per feed: the sequence of the last item seen, or its sort key. */
export const POSITION_ARITY: Record<Feed, number> = {
  events: 1,
  ledger: 1,
  // (query tag, seq): the ledger read newest first or filtered; the tag binds the cursor to
  // its order and filters (src/policy/ledgerView.ts).
  "ledger-view": 2,
  // (connectedAt, seq): channels list earliest connected first.
  "channels-whatsapp": 2,
  "channels-instagram": 2,
};

const FEED_LABEL: Record<Feed, string> = {
  events: "the event feed",
  ledger: "the credit ledger",
  "ledger-view": "the credit ledger read newest first or filtered",
  "channels-whatsapp": "the WhatsApp channel list",
  "channels-instagram": "the Instagram channel list",
};

export const feedLabel = (feed: Feed): string => FEED_LABEL[feed];

const VERSION = "1";
/** Bytes of the authentication tag (a truncated HMAC-SHA256): 128 bits. */
export const CURSOR_TAG_BYTES = 16;
/** Cursors are short; the bound keeps a query parameter from being anything else. */
export const MAX_CURSOR_LENGTH = 256;
/** What a cursor looks like on the wire (at most MAX_CURSOR_LENGTH): base64url parts, or `0`. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** The cursor that means "from the oldest kept", accepted on every feed. */
export const START_CURSOR = "0";

const INTEGER = /^-?(0|[1-9][0-9]{0,15})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const toBase64url = (binary: string) =>
  btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** The bytes of a base64url part as a binary string; only the canonical spelling of them. */
function fromBase64url(part: string): string | undefined {
  if (!BASE64URL.test(part)) return undefined;
  let binary: string;
  try {
    binary = atob(part.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return undefined;
  }
  return toBase64url(binary) === part ? binary : undefined;
}

const bytesOf = (binary: string) => Uint8Array.from(binary, (ch) => ch.charCodeAt(0));

/** The text a cursor carries and its tag authenticates. */
export function cursorPayload(
  feed: Feed,
  workspaceId: string,
  position: readonly number[],
): string {
  return [VERSION, feed, workspaceId, ...position.map(String)].join(".");
}

/** A cursor on the wire, from its payload and its tag. */
export function formatCursor(payload: string, tag: Uint8Array): string {
  return `${toBase64url(payload)}.${toBase64url(String.fromCharCode(...tag))}`;
}

/**
 * The two parts of a cursor's text, decoded: its payload (a binary string) and its tag. Undefined
 * for anything else: too long, not two canonical base64url parts, a tag of the wrong length.
 * Shared by every cursor of the service (the feeds here, the fleet's in src/fleet/cursor.ts).
 */
export function splitCursor(
  cursor: string,
  maxLength: number,
): { payload: string; tag: Uint8Array } | undefined {
  if (cursor.length > maxLength) return undefined;
  const parts = cursor.split(".");
  if (parts.length !== 2) return undefined;
  const payload = fromBase64url(parts[0] ?? "");
  const tag = fromBase64url(parts[1] ?? "");
  if (payload === undefined || tag === undefined || tag.length !== CURSOR_TAG_BYTES) {
    return undefined;
  }
  return { payload, tag: bytesOf(tag) };
}

/** Whether two tags are equal, in time independent of where they differ. */
export function sameTag(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export type ParsedCursor =
  /** From the oldest: no cursor, or `0`. */
  | { ok: true; position: null }
  /** A cursor for this feed and workspace, still to be authenticated: its tag over its payload. */
  | { ok: true; position: number[]; payload: string; tag: Uint8Array }
  | { ok: false; why: string };

/** Why a text is not a cursor; also the answer to a cursor whose tag does not authenticate it. */
export const NOT_A_CURSOR =
  "is not a cursor of this API: pass a previous page's nextCursor unchanged, or 0 for the oldest";

/**
 * Reads the text of a cursor sent back to `feed` of `workspaceId`: refuses, saying why, what is
 * not one, and a cursor of another feed or another workspace. The caller then checks its tag.
 */
export function parseCursor(
  cursor: string | undefined,
  feed: Feed,
  workspaceId: string,
): ParsedCursor {
  if (cursor === undefined || cursor === START_CURSOR) return { ok: true, position: null };
  const malformed = { ok: false, why: NOT_A_CURSOR } as const;
  const parts = splitCursor(cursor, MAX_CURSOR_LENGTH);
  if (parts === undefined) return malformed;
  const { payload, tag } = parts;
  const [version, sentFeed, sentWorkspace, ...rest] = payload.split(".");
  if (
    version !== VERSION ||
    sentWorkspace === undefined ||
    !WORKSPACE_ID_PATTERN.test(sentWorkspace)
  ) {
    return malformed;
  }
  if (sentFeed === undefined || !Object.hasOwn(POSITION_ARITY, sentFeed)) return malformed;
  const arity = POSITION_ARITY[sentFeed as Feed];
  if (rest.length !== arity || !rest.every((part) => INTEGER.test(part))) return malformed;
  const position = rest.map(Number);
  if (!position.every(Number.isSafeInteger)) return malformed;
  if (sentFeed !== feed) {
    return {
      ok: false,
      why: `is a cursor of ${feedLabel(sentFeed as Feed)}, not of ${feedLabel(feed)}`,
    };
  }
  if (sentWorkspace !== workspaceId) return { ok: false, why: "is a cursor of another workspace" };
  return { ok: true, position, payload, tag };
}
