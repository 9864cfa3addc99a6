import { ApiError } from "../errors";
import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion,
  type Overrides,
  type Plan,
  PUBLISH_LEAD_MS,
  versionFor,
} from "../policy/catalogue";
import { type PreviewRow, previewOf } from "../policy/preview";
import { type Instant, iso } from "../policy/time";

/**
 * The catalogue's store (docs/catalogue.md): drafts and published versions in D1, beside the
 * fleet index that previews them. Why D1 and not a Durable Object: every workspace object and
 * the preview read the schedule, and the preview joins it with the fleet index's rows; one
 * database keeps both in one place, with history (rows are never deleted once published), and a
 * read from thousands of objects is served by D1's read path rather than one object's thread.
 */

export type CatalogueStatus = "draft" | "scheduled" | "in_force" | "superseded" | "withdrawn";

export interface StoredVersion {
  version: Omit<CatalogueVersion, "effectiveAt"> & { effectiveAt: string | null };
  status: CatalogueStatus;
  builtIn: boolean;
  publishedAt: Instant | null;
  withdrawnAt: Instant | null;
}

interface Row {
  id: string;
  body: string;
  effective_at: number | null;
  published_at: number | null;
  withdrawn_at: number | null;
}

/** At most this many versions are listed: years of monthly changes with their drafts. */
export const CATALOGUE_LIST_LIMIT = 500;

const locked = (id: string, why: string) =>
  new ApiError("version_locked", `Catalogue version "${id}" ${why}.`, { id });

/** Every version with its status at `now`: drafts, scheduled, in force, superseded, withdrawn. */
export async function listVersions(db: D1Database, now: Instant): Promise<StoredVersion[]> {
  const { results } = await db
    .prepare(
      `SELECT id, body, effective_at, published_at, withdrawn_at FROM catalogue_versions
       ORDER BY effective_at IS NULL, effective_at, id LIMIT ${CATALOGUE_LIST_LIMIT}`,
    )
    .all<Row>();
  const builtIn: StoredVersion = {
    version: BUILT_IN_CATALOGUE,
    status: "superseded",
    builtIn: true,
    publishedAt: null,
    withdrawnAt: null,
  };
  const all: StoredVersion[] = [builtIn];
  for (const r of results) {
    const version = JSON.parse(r.body) as StoredVersion["version"];
    const status: CatalogueStatus =
      r.withdrawn_at !== null
        ? "withdrawn"
        : r.effective_at === null
          ? "draft"
          : r.effective_at > now
            ? "scheduled"
            : "superseded";
    all.push({
      version: { ...version, effectiveAt: r.effective_at === null ? null : iso(r.effective_at) },
      status,
      builtIn: false,
      publishedAt: r.published_at,
      withdrawnAt: r.withdrawn_at,
    });
  }
  // In force: the latest published version whose instant has come (the built-in one at least).
  const applied = all.filter((v) => v.status === "superseded");
  const inForce = applied[applied.length - 1];
  if (inForce !== undefined) inForce.status = "in_force";
  return all;
}

export async function findVersion(db: D1Database, id: string, now: Instant) {
  const found = (await listVersions(db, now)).find((v) => v.version.id === id);
  if (found === undefined) {
    throw new ApiError("not_found", `No catalogue version "${id}".`);
  }
  return found;
}

/** Writes a draft (created or replaced); anything published, withdrawn or built in is locked. */
export async function putDraft(
  db: D1Database,
  draft: Omit<CatalogueVersion, "id" | "effectiveAt">,
  id: string,
  now: Instant,
): Promise<StoredVersion> {
  const existing = (await listVersions(db, now)).find((v) => v.version.id === id);
  if (existing !== undefined && existing.status !== "draft") {
    throw locked(
      id,
      `is ${existing.builtIn ? "built in" : existing.status.replace("_", " ")}: publish a new version instead`,
    );
  }
  const body = JSON.stringify({ id, effectiveAt: null, ...draft });
  await db
    .prepare(
      `INSERT INTO catalogue_versions (id, body, effective_at, created_at, updated_at)
       VALUES (?, ?, NULL, ?, ?)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
       WHERE catalogue_versions.effective_at IS NULL AND catalogue_versions.withdrawn_at IS NULL`,
    )
    .bind(id, body, now, now)
    .run();
  return findVersion(db, id, now);
}

const invalid = (path: string, message: string) =>
  new ApiError("invalid_request", `Invalid request: ${path}: ${message}`, [{ path, message }]);

/** Schedules a draft for `effectiveAt`, at least the lead ahead of `now`. */
export async function publish(
  db: D1Database,
  id: string,
  effectiveAt: Instant,
  now: Instant,
): Promise<StoredVersion> {
  const all = await listVersions(db, now);
  const found = all.find((v) => v.version.id === id);
  if (found === undefined) throw new ApiError("not_found", `No catalogue version "${id}".`);
  if (found.status !== "draft") throw locked(id, `is already ${found.status.replace("_", " ")}`);
  if (effectiveAt < now + PUBLISH_LEAD_MS) {
    throw invalid(
      "effectiveAt",
      `must be at least 10 minutes ahead of now (${iso(now)}), so every workspace holds the version before it applies`,
    );
  }
  const clash = all.find(
    (v) => v.status !== "withdrawn" && v.version.effectiveAt === iso(effectiveAt),
  );
  if (clash !== undefined) {
    throw invalid("effectiveAt", `version "${clash.version.id}" already applies at that instant`);
  }
  const body = JSON.stringify({ ...found.version, effectiveAt: iso(effectiveAt) });
  await db
    .prepare(
      `UPDATE catalogue_versions SET body = ?, effective_at = ?, published_at = ?, updated_at = ?
       WHERE id = ? AND effective_at IS NULL AND withdrawn_at IS NULL`,
    )
    .bind(body, effectiveAt, now, now, id)
    .run();
  return findVersion(db, id, now);
}

/**
 * Deletes a draft, or withdraws a scheduled version (kept, never applied) at any time before it
 * applies; anything in force, superseded, built in or withdrawn is locked. A withdrawal is safe
 * up to the instant: a workspace that learned the version reads the schedule again before its
 * first decision at or after it (src/workspace/schedule.ts), and the write itself only lands
 * while the instant is still ahead, so a withdrawal racing the instant is a 409, never half done.
 */
export async function remove(
  db: D1Database,
  id: string,
  now: () => Instant,
): Promise<{ id: string; deleted: boolean; withdrawn: boolean }> {
  const found = await findVersion(db, id, now());
  if (found.status === "draft") {
    await db
      .prepare("DELETE FROM catalogue_versions WHERE id = ? AND effective_at IS NULL")
      .bind(id)
      .run();
    return { id, deleted: true, withdrawn: false };
  }
  if (found.status !== "scheduled") {
    throw locked(id, `is ${found.builtIn ? "built in" : found.status.replace("_", " ")}`);
  }
  // The clock read just before the write: the version must still be ahead when it lands.
  const at = now();
  const { meta } = await db
    .prepare(
      `UPDATE catalogue_versions SET withdrawn_at = ?, updated_at = ?
       WHERE id = ? AND withdrawn_at IS NULL AND effective_at > ?`,
    )
    .bind(at, at, id, at)
    .run();
  if (meta.changes === 0) throw locked(id, "is in force: it applied before the withdrawal");
  return { id, deleted: false, withdrawn: true };
}

/** Rows read per query by the preview: the whole index, a page at a time. */
const PREVIEW_PAGE = 1_000;

/** Every row of the fleet index as the preview needs it (fleet_workspaces, 0003 and 0005). */
export async function previewRows(db: D1Database): Promise<PreviewRow[]> {
  const rows: PreviewRow[] = [];
  let after = "";
  for (;;) {
    const { results } = await db
      .prepare(
        `SELECT workspace_id, plan, seats, subscribed_at, overrides, catalogue_version,
                leads_used, contacts_used, whatsapp_used, instagram_used, agents_used,
                whatsapp_grandfathered, instagram_grandfathered
         FROM fleet_workspaces WHERE workspace_id > ? ORDER BY workspace_id LIMIT ?`,
      )
      .bind(after, PREVIEW_PAGE)
      .all<{
        workspace_id: string;
        plan: Plan;
        seats: number;
        subscribed_at: number | null;
        overrides: string | null;
        catalogue_version: string | null;
        leads_used: number;
        contacts_used: number;
        whatsapp_used: number;
        instagram_used: number;
        agents_used: number;
        whatsapp_grandfathered: number | null;
        instagram_grandfathered: number | null;
      }>();
    for (const r of results) {
      rows.push({
        workspaceId: r.workspace_id,
        plan: r.plan,
        seats: r.seats,
        // A row reported before 0003 has no start: taken as after every legacy date.
        subscribedAt: r.subscribed_at ?? Number.MAX_SAFE_INTEGER,
        overrides: r.overrides === null ? {} : (JSON.parse(r.overrides) as Overrides),
        pinned: r.catalogue_version,
        used: {
          leads: r.leads_used,
          contactsAndCompanies: r.contacts_used,
          whatsapp: r.whatsapp_used,
          instagram: r.instagram_used,
          agents: r.agents_used,
        },
        // A row reported before 0005 says nothing of them: taken as none (may overcount).
        grandfathered: {
          whatsapp: r.whatsapp_grandfathered ?? 0,
          instagram: r.instagram_grandfathered ?? 0,
        },
      });
    }
    if (results.length < PREVIEW_PAGE) return rows;
    after = results[results.length - 1]?.workspace_id ?? after;
  }
}

/**
 * The impact preview of version `id` as of `asOf` (docs/catalogue.md): against the version in
 * force then (the published schedule, withdrawn versions left out), over every row of the fleet
 * index. A draft is previewed as if it applied at `asOf`.
 */
export async function previewVersion(db: D1Database, id: string, asOf: Instant, now: Instant) {
  const all = await listVersions(db, now);
  const target = all.find((v) => v.version.id === id);
  if (target === undefined) throw new ApiError("not_found", `No catalogue version "${id}".`);
  const schedule = all
    .filter((v) => !v.builtIn && v.version.effectiveAt !== null && v.status !== "withdrawn")
    .map((v) => v.version as CatalogueVersion);
  const current = versionFor([BUILT_IN_CATALOGUE, ...schedule], {}, asOf);
  const next: CatalogueVersion = {
    ...target.version,
    effectiveAt: target.version.effectiveAt ?? iso(asOf),
  };
  const rows = await previewRows(db);
  return { asOf, current, next, rows, ...previewOf(rows, current, next) };
}
