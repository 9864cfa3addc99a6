import { fail, type Outcome, ok } from "../errors";
import { decodeCursor, type Feed, feedLabel } from "../policy/cursor";
import type { Store } from "./store";

/**
 * The highest id a table's AUTOINCREMENT sequence ever handed out (0 before the first row).
 * SQLite keeps it in `sqlite_sequence` even after the rows are deleted, so a cursor at an item
 * pruned by retention still counts as issued.
 */
function highestIssued(store: Store, table: string): number {
  return (
    store.one<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = ?", table)?.seq ?? 0
  );
}

/**
 * Reads the `after` cursor of one of this workspace's feeds: null for "from the oldest", else the
 * position it names. Refuses (400 naming `after`) a malformed cursor, one of another feed or
 * workspace, and one whose position this feed never reached, so it cannot have issued it. The
 * position's last number is the row id in `table` (an AUTOINCREMENT sequence).
 */
export function readCursor(
  store: Store,
  feed: Feed,
  workspaceId: string,
  table: string,
  after: string | undefined,
): Outcome<number[] | null> {
  const read = decodeCursor(after, feed, workspaceId);
  const refuse = (why: string) =>
    fail<never>("invalid_request", `Invalid request: after: ${why}`, [
      { path: "after", message: why },
    ]);
  if (!read.ok) return refuse(read.why);
  const seq = read.position?.at(-1);
  if (seq !== undefined && (seq < 0 || seq > highestIssued(store, table))) {
    return refuse(`was never issued by ${feedLabel(feed)} of this workspace`);
  }
  return ok(read.position);
}
