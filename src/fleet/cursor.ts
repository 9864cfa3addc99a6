import { CURSOR_TAG_BYTES } from "../policy/cursor";

/**
 * Page cursors of the fleet list (GET /v1/fleet/workspaces). Opaque to clients, like the feeds'
 * (src/policy/cursor.ts): `base64url(payload).base64url(tag)`, the payload holding the query it
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

const toBase64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

function fromBase64url(part: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const binary = atob(part.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    return toBase64url(bytes) === part ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** One imported key per secret per isolate: importing is not free, and the secret rarely changes. */
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then((root) => crypto.subtle.sign("HMAC", root, encoder.encode(LABEL)))
      .then((derived) =>
        crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      );
    keys.set(secret, key);
  }
  return key;
}

async function tagOf(secret: string, payload: Uint8Array): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", await keyFor(secret), payload);
  return new Uint8Array(mac, 0, CURSOR_TAG_BYTES);
}

function sameTag(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The cursor after `position` for the query whose canonical text is `query`. */
export async function fleetCursor(
  secret: string,
  query: string,
  position: FleetPosition,
): Promise<string> {
  const payload = new TextEncoder().encode(
    JSON.stringify({ v: 1, q: query, k: position.key, w: position.workspaceId }),
  );
  return `${toBase64url(payload)}.${toBase64url(await tagOf(secret, payload))}`;
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
  if (cursor.length > MAX_FLEET_CURSOR_LENGTH) return notOurs;
  const [payloadPart, tagPart, ...rest] = cursor.split(".");
  if (rest.length > 0 || payloadPart === undefined || tagPart === undefined) return notOurs;
  const payload = fromBase64url(payloadPart);
  const tag = fromBase64url(tagPart);
  if (payload === undefined || tag === undefined || tag.length !== CURSOR_TAG_BYTES) return notOurs;
  if (!sameTag(tag, await tagOf(secret, payload))) return notOurs;
  let parsed: { v?: unknown; q?: unknown; k?: unknown; w?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
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
