import { ok } from "../../outcome";
import { type AiFeature, AVERAGE_CREDIT_COST } from "../../policy/catalogue";
import {
  decidePackage,
  estimatedRequests,
  type FeatureUse,
  featureRemainingOf,
} from "../../policy/credits";
import { iso } from "../../policy/time";
import type { PackageRow, WorkspaceContext } from "../context";
import { activePackages, loadCreditState } from "./state";

// Per-feature credit limits and add-on credit packages.

/** A feature's figures; its average cost is the version in force's (docs/catalogue.md). */
export function featureView(f: FeatureUse, costs: Record<AiFeature, number> = AVERAGE_CREDIT_COST) {
  return {
    feature: f.feature,
    inPlan: f.inPlan,
    averageCost: costs[f.feature],
    creditsUsed: f.used,
    creditsHeld: f.held,
    creditLimit: f.limit,
    creditsRemaining: featureRemainingOf(f),
    estimatedRequests: estimatedRequests(f.feature, f.limit, costs),
  };
}

/** A cap reserves nothing; 0 stops the feature; below what was used stops it too. */
export function setFeatureLimit(ctx: WorkspaceContext, feature: AiFeature, limit: number | null) {
  if (limit === null) {
    ctx.store.run("DELETE FROM credit_feature_limits WHERE feature = ?", feature);
  } else {
    ctx.store.run(
      `INSERT INTO credit_feature_limits (feature, credit_limit) VALUES (?, ?)
       ON CONFLICT (feature) DO UPDATE SET credit_limit = excluded.credit_limit`,
      feature,
      limit,
    );
  }
  return ok(featureView(loadCreditState(ctx).features[feature], ctx.catalogue.featureCosts));
}

export interface PackageInput {
  id: string;
  credits: number;
  expiresAt: string;
}

export const packageView = (p: Pick<PackageRow, "id" | "credits" | "expires_at">) => ({
  id: p.id,
  credits: p.credits,
  expiresAt: iso(p.expires_at),
});

/** Creates the package, or replaces its credits and expiry when the id exists (PUT-like). */
export function putPackage(ctx: WorkspaceContext, input: PackageInput) {
  const expiresAt = Date.parse(input.expiresAt);
  const existing = ctx.store.one<PackageRow>(
    "SELECT * FROM credit_packages WHERE id = ?",
    input.id,
  );
  const others = activePackages(ctx.store, ctx.now).filter((p) => p.id !== input.id).length;
  const decision = decidePackage(expiresAt, ctx.now, others);
  if (!decision.ok) return decision;
  const { active } = decision.value;
  ctx.store.run(
    `INSERT INTO credit_packages (id, credits, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET credits = excluded.credits, expires_at = excluded.expires_at,
       updated_at = excluded.updated_at`,
    input.id,
    input.credits,
    expiresAt,
    ctx.now,
    ctx.now,
  );
  const state = loadCreditState(ctx);
  return ok({
    ...packageView({ id: input.id, credits: input.credits, expires_at: expiresAt }),
    active,
    created: existing === undefined,
    createdAt: iso(existing?.created_at ?? ctx.now),
    updatedAt: iso(ctx.now),
    monthlyBalance: state.pool.balance,
    addOnCredits: state.addOnCredits,
  });
}
