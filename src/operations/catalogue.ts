import { z } from "@hono/zod-openapi";
import {
  findVersion,
  listVersions,
  previewVersion,
  publish,
  putDraft,
  remove,
  type StoredVersion,
} from "../fleet/catalogue";
import type { EffectiveLimits } from "../policy/catalogue";
import { previewCsv } from "../policy/preview";
import { isoOrNull } from "../policy/time";
import {
  CatalogueDraftInput,
  CatalogueList,
  CataloguePreview,
  CatalogueVersion,
  FanOutProgress,
  PreviewInput,
  PreviewQuery,
  PublishInput,
  VersionParams,
} from "../schemas/catalogue";
import { platformOperation } from "./platform";

/**
 * The plan catalogue as versioned data (docs/catalogue.md): platform operations, like the
 * fleet's, since a version applies to every workspace. The catalogue's clock is the platform's
 * (real time): the 10-minute publish lead is real time, whatever a workspace's test clock says.
 * A publish or a withdrawal is announced to the due index before the answer (`announce`, given
 * by the transport: src/cron/catalogue.ts), whose shards tell their workspaces.
 */
const tags = ["Catalogue"];

const view = (v: StoredVersion) => ({
  ...v.version,
  status: v.status,
  builtIn: v.builtIn,
  publishedAt: isoOrNull(v.publishedAt),
  withdrawnAt: isoOrNull(v.withdrawnAt),
});

const limitsWire = (l: EffectiveLimits) => ({
  leads: l.leads,
  contactsAndCompanies: l.contactsAndCompanies,
  whatsapp: l.whatsapp,
  instagram: l.instagram,
  activeAgents: l.activeAgents,
  includedCredits: l.includedCredits,
});

export const catalogue = platformOperation({
  name: "catalogue",
  tags,
  summary: "Catalogue versions: draft, scheduled, in force, superseded, withdrawn",
  response: CatalogueList,
  answers: "Every version with its status now",
  run: async ({ db, now }) => {
    const at = now();
    const all = await listVersions(db, at);
    const inForce = all.find((v) => v.status === "in_force");
    return {
      now: new Date(at).toISOString(),
      inForce: inForce?.version.id ?? "2026-06",
      versions: all.map((v) => {
        const { plans: _p, featureCosts: _f, ...rest } = view(v);
        return rest;
      }),
    };
  },
});

export const catalogueFanOut = platformOperation({
  name: "catalogueFanOut",
  tags,
  summary: "How far the fan-out of the latest publish or withdrawal has come, shard by shard",
  description:
    'Each of the 16 due index shards tells its own workspaces of a change from its alarm (docs/catalogue.md, "The fan-out"): `done` once every shard told every one; a shard `behind` has not taken the announcement yet (the cron makes it again every minute).',
  response: FanOutProgress,
  answers: "The fan-out's progress now",
  run: ({ fanOutProgress }) => fanOutProgress(),
});

export const catalogueVersion = platformOperation({
  name: "catalogueVersion",
  tags,
  summary: "One catalogue version, with every plan's terms",
  params: VersionParams,
  response: CatalogueVersion,
  answers: "The version",
  errors: ["not_found"],
  run: async ({ db, now }, { params }) => view(await findVersion(db, params.id, now())),
});

export const putCatalogueVersion = platformOperation({
  name: "putCatalogueVersion",
  tags,
  summary: "Writes a draft (creates or replaces it); a published version is locked",
  params: VersionParams,
  body: CatalogueDraftInput,
  response: CatalogueVersion,
  answers: "The draft as stored",
  errors: ["version_locked"],
  run: async ({ db, now }, { params, body }) =>
    view(await putDraft(db, body as z.output<typeof CatalogueDraftInput>, params.id, now())),
});

export const publishCatalogueVersion = platformOperation({
  name: "publishCatalogueVersion",
  tags,
  summary: "Schedules a draft for effectiveAt, at least 10 minutes ahead",
  params: VersionParams,
  body: PublishInput,
  response: CatalogueVersion,
  answers: "The version, scheduled",
  errors: ["not_found", "version_locked"],
  run: async ({ db, now, announce }, { params, body }) => {
    const at = Date.parse((body as z.output<typeof PublishInput>).effectiveAt);
    const stored = await publish(db, params.id, at, now());
    await announce();
    return view(stored);
  },
});

export const deleteCatalogueVersion = platformOperation({
  name: "deleteCatalogueVersion",
  tags,
  summary: "Deletes a draft, or withdraws a scheduled version any time before it applies",
  params: VersionParams,
  response: z.object({ id: z.string(), deleted: z.boolean(), withdrawn: z.boolean() }),
  answers: "What happened",
  errors: ["not_found", "version_locked"],
  run: async ({ db, now, announce }, { params }) => {
    const done = await remove(db, params.id, now);
    if (done.withdrawn) await announce();
    return done;
  },
});

const previewOfInput = (
  { db, now }: { db: D1Database; now: () => number },
  id: string,
  body: z.output<typeof PreviewInput> | undefined,
) => {
  const at = now();
  return previewVersion(db, id, body?.asOf === undefined ? at : Date.parse(body.asOf), at);
};

export const previewCatalogueVersion = platformOperation({
  name: "previewCatalogueVersion",
  tags,
  summary:
    "What the version would do to every workspace of the fleet index, against the one in force",
  params: VersionParams,
  query: PreviewQuery,
  body: PreviewInput,
  bodyOptional: true,
  response: CataloguePreview,
  answers: "The impact: per limit, per plan, the 100 most affected; or the full list as CSV",
  errors: ["not_found"],
  run: async (ctx, { params, body }) => {
    const p = await previewOfInput(ctx, params.id, body);
    return {
      version: p.next.id,
      inForce: p.current.id,
      asOf: new Date(p.asOf).toISOString(),
      ...p.summary,
      mostAffected: p.summary.mostAffected.map((e) => ({
        workspaceId: e.workspaceId,
        plan: e.plan,
        over: e.over,
        overBefore: e.overBefore,
        creditsDelta: e.creditsDelta,
        before: limitsWire(e.before),
        after: limitsWire(e.after),
      })),
    };
  },
  csv: async (ctx, { params, body }) => {
    const p = await previewOfInput(ctx, params.id, body);
    return previewCsv(p.rows, p.effects);
  },
});
