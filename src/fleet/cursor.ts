import { CURSOR_TAG_BYTES, formatCursor, sameTag, splitCursor } from "../policy/cursor";

/**
 * Page cursors of the fleet list (GET /v1/fleet/workspaces). Opaque to clients, in the feeds'
 * format and through its functions (src/policy/cursor.ts): `base64url(payload).base64url(tag)`, the payload holding the query it
 * belongs to and the last row's sort key, the tag a truncated HMAC-SHA256 of the payload. The
 * fleet spans every workspace, so no workspace's key can sign it: the key is derived from the
 * deployment's AUTH_SECRET under a label of its own (a token's signature and a cursor's tag never
 * share a key). A cursor of another query, or one this deployment did not issue, is refused
 * (docs/rules.md, "Answers, errors and callers": a 400 naming the field), never answered with a
 * wrong page.
 */

const LABEL = "quota-checker fleet cursor v1";

/** The payload names its query, so these cursors are longer than the feeds'. */
export const MAX_FLEET_CURSOR_LENGTH = 1024;

export interface FleetPosition {
  /** The last row's sort key (a number, or null where the sort has none). */
  key: number | null;
  workspaceId: string;
}

/** The payload's UTF-8 bytes as the binary string the shared format carries, and back. */
export const binaryOf = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));
export const textOf = (binary: string) =>
  new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));

/** One imported key per secret and label per isolate: importing is not free. */
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string, label: string): Promise<CryptoKey> {
  const id = `${label}\n${secret}`;
  let key = keys.get(id);
  if (key === undefined) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then((root) => crypto.subtle.sign("HMAC", root, encoder.encode(label)))
      .then((derived) =>
        crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      );
    keys.set(id, key);
  }
  return key;
}

/**
 * The tag of a cursor's payload under a key derived from the deployment's secret and a label of
 * its own (the fleet's, the exports': src/exports/cursor.ts), so no cursor passes for another.
 */
export async function tagOf(secret: string, payload: string, label = LABEL): Promise<Uint8Array> {
  const bytes = Uint8Array.from(payload, (ch) => ch.charCodeAt(0));
  const mac = await crypto.subtle.sign("HMAC", await keyFor(secret, label), bytes);
  return new Uint8Array(mac, 0, CURSOR_TAG_BYTES);
}

/** The cursor after `position` for the query whose canonical text is `query`. */
export async function fleetCursor(
  secret: string,
  query: string,
  position: FleetPosition,
): Promise<string> {
  const payload = binaryOf(
    JSON.stringify({ v: 1, q: query, k: position.key, w: position.workspaceId }),
  );
  return formatCursor(payload, await tagOf(secret, payload));
}

export type ReadCursor = { ok: true; position: FleetPosition } | { ok: false; why: string };

/** Reads a cursor sent back for the query `query`: refuses, saying why, anything else. */
export async function readFleetCursor(
  secret: string,
  query: string,
  cursor: string,
): Promise<ReadCursor> {
  const notOurs = {
    ok: false,
    why: "is not a cursor of this API: pass a previous page's nextCursor unchanged, or omit it for the first page",
  } as const;
  const parts = splitCursor(cursor, MAX_FLEET_CURSOR_LENGTH);
  if (parts === undefined) return notOurs;
  if (!sameTag(parts.tag, await tagOf(secret, parts.payload))) return notOurs;
  let parsed: { v?: unknown; q?: unknown; k?: unknown; w?: unknown };
  try {
    parsed = JSON.parse(textOf(parts.payload));
  } catch {
    return notOurs;
  }
  if (parsed.v !== 1 || typeof parsed.w !== "string") return notOurs;
  if (parsed.q !== query) {
    return {
      ok: false,
      why: "is a cursor of another query: a cursor pages only the filters and sort it was issued for; start again without it",
    };
  }
  const key = parsed.k;
  if (key !== null && (typeof key !== "number" || !Number.isFinite(key))) return notOurs;
  return { ok: true, position: { key, workspaceId: parsed.w } };
}
