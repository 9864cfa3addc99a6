import { binaryOf, tagOf, textOf } from "../fleet/cursor";
import { formatCursor, sameTag, splitCursor } from "../policy/cursor";
import { EXPORT_NAME } from "../policy/exports";

/**
 * Page cursors of GET /v1/exports, in the one format of the service (src/policy/cursor.ts):
 * `base64url(payload).base64url(tag)`, the payload naming the query it belongs to (its `kind`)
 * and the last file listed, the tag an HMAC under a key derived from AUTH_SECRET and this label.
 * A cursor of another query, or one this deployment did not issue, is refused (docs/rules.md,
 * "Answers, errors and callers": a 400 naming the field), never answered with a wrong page.
 */
const LABEL = "quota-checker exports cursor v1";
export const MAX_EXPORTS_CURSOR_LENGTH = 256;

export async function exportsCursor(secret: string, query: string, last: string): Promise<string> {
  const payload = binaryOf(JSON.stringify({ v: 1, q: query, k: last }));
  return formatCursor(payload, await tagOf(secret, payload, LABEL));
}

export type ReadExportsCursor = { ok: true; last: string } | { ok: false; why: string };

export async function readExportsCursor(
  secret: string,
  query: string,
  cursor: string,
): Promise<ReadExportsCursor> {
  const notOurs = {
    ok: false,
    why: "is not a cursor of this API: pass a previous page's nextCursor unchanged, or omit it for the first page",
  } as const;
  const parts = splitCursor(cursor, MAX_EXPORTS_CURSOR_LENGTH);
  if (parts === undefined) return notOurs;
  if (!sameTag(parts.tag, await tagOf(secret, parts.payload, LABEL))) return notOurs;
  let parsed: { v?: unknown; q?: unknown; k?: unknown };
  try {
    parsed = JSON.parse(textOf(parts.payload));
  } catch {
    return notOurs;
  }
  if (parsed.v !== 1 || typeof parsed.k !== "string" || !EXPORT_NAME.test(parsed.k)) {
    return notOurs;
  }
  if (parsed.q !== query) {
    return {
      ok: false,
      why: "is a cursor of another query: a cursor pages only the kind it was issued for; start again without it",
    };
  }
  return { ok: true, last: parsed.k };
}
