import type { Role } from "../claims";
import type { AlertRule } from "../policy/alerts";
import type { Topup } from "../policy/budgets";
import type { CatalogueVersion, EffectiveLimits, Subscription } from "../policy/catalogue";
import type { Period } from "../policy/periods";
import type { Instant } from "../policy/time";
import type { Store } from "../storage";

/** A call answers at once, or after reading a lapsed catalogue schedule (schedule.ts). */
export type Maybe<T> = T | Promise<T>;

/** Everything one call of the object works with: its storage, its plan, and the one clock read. */
export interface WorkspaceContext {
  store: Store;
  subscription: Subscription;
  limits: EffectiveLimits;
  /** The catalogue version in force for this workspace at `now` (its limits' source). */
  catalogue: CatalogueVersion;
  now: Instant;
  /**
   * The credit counters the object keeps in memory, passed only while they are exact at `now`
   * (nothing due: no renewal, lapsed hold or expired package before the object's next
   * deadline). With them a decision reads no storage, and every counter write (memory.ts) keeps
   * them equal to storage. Without them, credits read storage.
   */
  counters?: CreditCounters;
}

/** An add-on credit package as stored. */
export interface PackageRow {
  id: string;
  credits: number;
  expires_at: number;
  created_at: number;
  updated_at: number;
}

/**
 * The credit figures of one period, as stored, kept in memory by the object between calls.
 * Read-only here: only memory.ts's writers change them, together with their rows.
 */
export interface CreditCounters {
  period: Period;
  /** Packages active when loaded, soonest expiry first (the object reloads when one expires). */
  readonly packages: readonly PackageRow[];
  /** Credits used this period per feature (credit_usage). */
  readonly used: ReadonlyMap<string, number>;
  /** Open holds per feature (credit_holds), as the clock sees them (no lapsed hold). */
  readonly held: ReadonlyMap<string, number>;
  /** Admin caps per feature (credit_feature_limits). */
  readonly featureLimits: ReadonlyMap<string, number>;
  /** The threshold percents already announced this period (credit_thresholds). */
  readonly announced: ReadonlySet<number>;
  /** The earliest expiry of a hold opened since loading: the object's deadline moves to it. */
  readonly holdExpiry: Instant | null;
  /**
   * The ledger's last sequence written (credit_ledger.id): the next entry takes the one after.
   * Kept here rather than in an AUTOINCREMENT row, so a consume writes two rows, not three.
   */
  readonly ledgerSeq: number;
  /** Budgets inside the pool (credits/budgets.ts): agents, their caps, top-ups, alert rules. */
  readonly budgets: BudgetCounters;
}

/** What a budgeted spend decides from, kept in memory with the other counters. */
export interface BudgetCounters {
  /** The workspace's agents (a spend naming another is refused). */
  readonly agents: ReadonlySet<string>;
  /** Credits used this period per agent (credit_agent_usage). */
  readonly agentUsed: ReadonlyMap<string, number>;
  /** Open holds per agent (credit_reservations.agent_id), as the clock sees them. */
  readonly agentHeld: ReadonlyMap<string, number>;
  /** Admin caps per agent (credit_agent_limits). */
  readonly agentLimits: ReadonlyMap<string, number>;
  /** Top-ups that may still pay or hold credits, in draw order (credit_topups). */
  readonly topups: readonly Topup[];
  /** Credits of this period paid by top-ups (credit_usage.topup_used): not the pool's. */
  readonly topupUsed: number;
  /** The admin's alert rules (credit_alert_rules). */
  readonly alertRules: readonly AlertRule[];
  /** The rules that fired this period and were not re-armed (credit_alerts_fired). */
  readonly alertsFired: ReadonlySet<string>;
}

export type { Role };

/** Who is calling and how to deduplicate the call; filled in by the route layer. */
export interface CallMeta {
  role: Role;
  idempotencyKey?: string;
  /** Hash of method, path and canonical body: the same key with another request is a conflict. */
  fingerprint?: string;
}
