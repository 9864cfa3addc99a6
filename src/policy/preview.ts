import {
  type CatalogueVersion,
  type EffectiveLimits,
  effectiveLimits,
  type Overrides,
  type Plan,
} from "./catalogue";
import type { Instant } from "./time";

/**
 * The impact preview of a catalogue version (docs/catalogue.md): from the fleet index's rows,
 * what applying `next` instead of the version in force would do to each workspace, computed
 * with the same `effectiveLimits` the objects use. Pure: rows and versions in, figures out.
 */

/** One workspace as the fleet index holds it, with what the preview needs. */
export interface PreviewRow {
  workspaceId: string;
  plan: Plan;
  seats: number;
  subscribedAt: Instant;
  overrides: Overrides;
  /** The pinned version; null: the version in force applies. */
  pinned: string | null;
  used: {
    leads: number;
    contactsAndCompanies: number;
    whatsapp: number;
    instagram: number;
    agents: number;
  };
}

export const PREVIEW_LIMITS = [
  "leads",
  "contactsAndCompanies",
  "whatsapp",
  "instagram",
  "agents",
] as const;
export type PreviewLimit = (typeof PREVIEW_LIMITS)[number];

/** What applying the version does to one workspace, once every grace it opens has ended. */
export interface WorkspaceEffect {
  workspaceId: string;
  plan: Plan;
  /** Per limit: how far over the new limit (leads/contacts blocked, channels disabled, agents offline). */
  over: Record<PreviewLimit, number>;
  /** Included credits a month: the new figure minus the old. */
  creditsDelta: number;
  before: EffectiveLimits;
  after: EffectiveLimits;
}

const limitOf = (l: EffectiveLimits, limit: PreviewLimit): number | null =>
  limit === "agents" ? l.activeAgents : l[limit];

const overBy = (used: number, limit: number | null) =>
  limit === null ? 0 : Math.max(0, used - limit);

export function effectOf(row: PreviewRow, current: CatalogueVersion, next: CatalogueVersion) {
  const sub = {
    workspaceId: row.workspaceId,
    plan: row.plan,
    seats: row.seats,
    periodAnchor: 0,
    subscribedAt: row.subscribedAt,
    overrides: row.overrides,
    updatedAt: 0,
  };
  const before = effectiveLimits(sub, current);
  const after = effectiveLimits(sub, next);
  const over = Object.fromEntries(
    PREVIEW_LIMITS.map((k) => [k, overBy(row.used[k], limitOf(after, k))]),
  ) as Record<PreviewLimit, number>;
  return {
    workspaceId: row.workspaceId,
    plan: row.plan,
    over,
    creditsDelta: after.includedCredits - before.includedCredits,
    before,
    after,
  } satisfies WorkspaceEffect;
}

/** How much a workspace is hurt: what it loses, then the credits it loses. */
const harm = (e: WorkspaceEffect) =>
  PREVIEW_LIMITS.reduce((n, k) => n + e.over[k], 0) * 1_000_000 + Math.max(0, -e.creditsDelta);

export interface PreviewSummary {
  workspaces: number;
  pinned: number;
  limits: Record<PreviewLimit, { workspacesOver: number; totalOver: number }>;
  plans: Partial<Record<Plan, { workspaces: number; creditsGained: number; creditsLost: number }>>;
  mostAffected: WorkspaceEffect[];
  pinnedWorkspaces: string[];
}

/** The preview's figures over every row; the `top` most affected workspaces, most hurt first. */
export function previewOf(
  rows: readonly PreviewRow[],
  current: CatalogueVersion,
  next: CatalogueVersion,
  top = 100,
): { summary: PreviewSummary; effects: WorkspaceEffect[] } {
  const limits = Object.fromEntries(
    PREVIEW_LIMITS.map((k) => [k, { workspacesOver: 0, totalOver: 0 }]),
  ) as PreviewSummary["limits"];
  const plans: PreviewSummary["plans"] = {};
  const effects: WorkspaceEffect[] = [];
  const pinnedWorkspaces: string[] = [];
  for (const row of rows) {
    if (row.pinned !== null) {
      pinnedWorkspaces.push(row.workspaceId);
      continue;
    }
    const e = effectOf(row, current, next);
    effects.push(e);
    for (const k of PREVIEW_LIMITS) {
      if (e.over[k] > 0) {
        limits[k].workspacesOver += 1;
        limits[k].totalOver += e.over[k];
      }
    }
    const p = plans[row.plan] ?? { workspaces: 0, creditsGained: 0, creditsLost: 0 };
    plans[row.plan] = p;
    p.workspaces += 1;
    if (e.creditsDelta > 0) p.creditsGained += e.creditsDelta;
    else p.creditsLost -= e.creditsDelta;
  }
  const mostAffected = [...effects]
    .filter((e) => harm(e) > 0)
    .sort((a, b) => harm(b) - harm(a) || a.workspaceId.localeCompare(b.workspaceId))
    .slice(0, top);
  return {
    summary: {
      workspaces: effects.length,
      pinned: pinnedWorkspaces.length,
      limits,
      plans,
      mostAffected,
      pinnedWorkspaces,
    },
    effects,
  };
}

/** The full list as CSV: one line per workspace (pinned ones marked), most hurt first. */
export function previewCsv(
  rows: readonly PreviewRow[],
  effects: readonly WorkspaceEffect[],
): string {
  const header = [
    "workspaceId",
    "plan",
    "pinned",
    ...PREVIEW_LIMITS.map((k) => `${k}Over`),
    "creditsDelta",
  ];
  const lines = [...effects]
    .sort((a, b) => harm(b) - harm(a) || a.workspaceId.localeCompare(b.workspaceId))
    .map((e) => [
      e.workspaceId,
      e.plan,
      "",
      ...PREVIEW_LIMITS.map((k) => e.over[k]),
      e.creditsDelta,
    ]);
  for (const r of rows)
    if (r.pinned !== null) lines.push([r.workspaceId, r.plan, r.pinned, "", "", "", "", "", ""]);
  return `${[header, ...lines].map((l) => l.join(",")).join("\n")}\n`;
}
