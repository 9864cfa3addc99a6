import { fail, type Outcome, ok } from "../outcome";
import {
  CURSOR_TAG_BYTES,
  cursorPayload,
  type Feed,
  feedLabel,
  formatCursor,
  NOT_A_CURSOR,
  parseCursor,
  START_CURSOR,
  sameTag,
} from "../policy/cursor";
import type { Migration, Store } from "../storage";
import { storedLedgerSeq } from "./memory";

const KEY_META = "cursorKey";

/**
 * Each workspace signs its cursors with its own random key, made once in its own storage: no
 * other workspace can make or accept its cursors, and rotating AUTH_SECRET leaves every poller's
 * cursor valid. (SQLite's randomblob is a CSPRNG.)
 */
export const cursorMigrations: Migration[] = [
  {
    name: "cursor_key_v1",
    statements: [
      `INSERT INTO meta (key, value) VALUES ('${KEY_META}', json_quote(lower(hex(randomblob(32)))))
       ON CONFLICT (key) DO NOTHING`,
    ],
  },
];

/** The imported key, per storage (one object, one store): imported once, not per page. */
const keys = new WeakMap<Store, Promise<CryptoKey>>();

function cursorKey(store: Store): Promise<CryptoKey> {
  let key = keys.get(store);
  if (key === undefined) {
    const hex = store.getMeta<string>(KEY_META);
    if (hex === undefined) throw new Error("the cursor key is missing (migration cursor_key_v1)");
    const raw = Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(store, key);
  }
  return key;
}

async function tagOf(store: Store, payload: string): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await cursorKey(store),
    new TextEncoder().encode(payload),
  );
  return new Uint8Array(mac, 0, CURSOR_TAG_BYTES);
}

/** Compares in time independent of where the tags differ. */
/** The cursor of `feed` at `position`, signed by this workspace. */
export async function issueCursor(
  store: Store,
  feed: Feed,
  workspaceId: string,
  position: readonly number[],
): Promise<string> {
  const payload = cursorPayload(feed, workspaceId, position);
  return formatCursor(payload, await tagOf(store, payload));
}

/**
 * The cursor after a page read in sequence order: at its last item, else (nothing new) where the
 * page was read from, so a poller can reuse it; `0` while the reader is still at the start.
 */
export function nextCursor(
  store: Store,
  feed: Feed,
  workspaceId: string,
  from: readonly number[] | null,
  lastSeq: number | undefined,
): Promise<string> {
  if (lastSeq !== undefined) return issueCursor(store, feed, workspaceId, [lastSeq]);
  if (from === null) return Promise.resolve(START_CURSOR);
  return issueCursor(store, feed, workspaceId, from);
}

/**
 * The highest id a table's sequence ever handed out (0 before the first row).
 * SQLite keeps it in `sqlite_sequence` even after the rows are deleted, so a cursor at an item
 * pruned by retention still counts as issued.
 */
function highestIssued(store: Store, table: string): number {
  // The ledger numbers its entries itself (no AUTOINCREMENT since issue #19): memory.ts.
  if (table === "credit_ledger") return storedLedgerSeq(store);
  const row = store.one<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = ?", table);
  return row?.seq ?? 0;
}

/**
 * Reads the `after` cursor of one of this workspace's feeds: null for "from the oldest", else the
 * position it names. Refuses (400 naming `after`) what is not a cursor, a cursor of another feed
 * or workspace, and one this workspace did not sign; and, should storage ever lose its history, a
 * position beyond the feed's sequence. The position's last number is the row id in `table`.
 */
export async function readCursor(
  store: Store,
  feed: Feed,
  workspaceId: string,
  table: string,
  after: string | undefined,
): Promise<Outcome<number[] | null>> {
  const refuse = (why: string) =>
    fail<never>("invalid_request", `Invalid request: after: ${why}`, [
      { path: "after", message: why },
    ]);
  const read = parseCursor(after, feed, workspaceId);
  if (!read.ok) return refuse(read.why);
  if (read.position === null) return ok(null);
  if (!sameTag(read.tag, await tagOf(store, read.payload))) return refuse(NOT_A_CURSOR);
  const seq = read.position.at(-1) ?? -1;
  if (seq < 0 || seq > highestIssued(store, table)) {
    return refuse(`was never issued by ${feedLabel(feed)} of this workspace`);
  }
  return ok(read.position);
}
