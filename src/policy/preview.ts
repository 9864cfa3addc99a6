import {
  type CatalogueVersion,
  type EffectiveLimits,
  effectiveLimits,
  type Overrides,
  type Plan,
} from "./catalogue";
import { excessOf } from "./channels";
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
  /** Active channels grandfathered, never disabled (fleet index 0005; 0 when not reported). */
  grandfathered: { whatsapp: number; instagram: number };
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
  /** The same under the version in force: over already, whatever the new version says. */
  overBefore: Record<PreviewLimit, number>;
  /** Included credits a month: the new figure minus the old. */
  creditsDelta: number;
  before: EffectiveLimits;
  after: EffectiveLimits;
}

const limitOf = (l: EffectiveLimits, limit: PreviewLimit): number | null =>
  limit === "agents" ? l.activeAgents : l[limit];

const overBy = (used: number, limit: number | null) =>
  limit === null ? 0 : Math.max(0, used - limit);

/**
 * How many a limit's enforcement would take away: entities blocked and agents set offline are
 * what exceeds the limit; channels disabled are what exceeds it among the non-grandfathered only
 * (docs/rules.md, "WhatsApp numbers and Instagram accounts"), as the object's `excessOf` says.
 */
function overOf(row: PreviewRow, limits: EffectiveLimits): Record<PreviewLimit, number> {
  const limit = (k: PreviewLimit) => limitOf(limits, k);
  const channel = (k: "whatsapp" | "instagram") =>
    excessOf({ active: row.used[k], grandfathered: row.grandfathered[k] }, limit(k));
  return {
    leads: overBy(row.used.leads, limit("leads")),
    contactsAndCompanies: overBy(row.used.contactsAndCompanies, limit("contactsAndCompanies")),
    whatsapp: channel("whatsapp"),
    instagram: channel("instagram"),
    agents: overBy(row.used.agents, limit("agents")),
  };
}

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
  return {
    workspaceId: row.workspaceId,
    plan: row.plan,
    over: overOf(row, after),
    overBefore: overOf(row, before),
    creditsDelta: after.includedCredits - before.includedCredits,
    before,
    after,
  } satisfies WorkspaceEffect;
}

/** How much a workspace is hurt: what it loses, then the credits it loses. */
const harm = (e: WorkspaceEffect) =>
  PREVIEW_LIMITS.reduce((n, k) => n + e.over[k], 0) * 1_000_000 + Math.max(0, -e.creditsDelta);

/** Workspaces over a limit and by how much in total. */
export interface OverCount {
  workspaces: number;
  total: number;
}

/**
 * One limit's figures: every workspace over the new limit (`workspacesOver`, `totalOver`: what
 * happens when the version applies), split into those already over it under the version in
 * force (`alreadyOver`) and those the new version pushes over (`pushedOver`).
 */
export interface LimitImpact {
  workspacesOver: number;
  totalOver: number;
  alreadyOver: OverCount;
  pushedOver: OverCount;
}

export interface PreviewSummary {
  workspaces: number;
  pinned: number;
  limits: Record<PreviewLimit, LimitImpact>;
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
    PREVIEW_LIMITS.map((k) => [
      k,
      {
        workspacesOver: 0,
        totalOver: 0,
        alreadyOver: { workspaces: 0, total: 0 },
        pushedOver: { workspaces: 0, total: 0 },
      },
    ]),
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
        const split = e.overBefore[k] > 0 ? limits[k].alreadyOver : limits[k].pushedOver;
        split.workspaces += 1;
        split.total += e.over[k];
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

/**
 * The full list as CSV: one line per workspace (pinned ones marked), most hurt first; after the
 * figures under the new version, the same under the version in force (`…OverBefore`).
 */
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
    ...PREVIEW_LIMITS.map((k) => `${k}OverBefore`),
  ];
  const lines = [...effects]
    .sort((a, b) => harm(b) - harm(a) || a.workspaceId.localeCompare(b.workspaceId))
    .map((e) => [
      e.workspaceId,
      e.plan,
      "",
      ...PREVIEW_LIMITS.map((k) => e.over[k]),
      e.creditsDelta,
      ...PREVIEW_LIMITS.map((k) => e.overBefore[k]),
    ]);
  const blank = Array.from({ length: header.length - 3 }, () => "");
  for (const r of rows)
    if (r.pinned !== null) lines.push([r.workspaceId, r.plan, r.pinned, ...blank]);
  return `${[header, ...lines].map((l) => l.join(",")).join("\n")}\n`;
}
