import { type Instant, MINUTE_MS } from "../../policy/time";
import type { Store } from "../../storage";
import { announceForecast } from "../credits/forecast";
import type { Site } from "../domain";
import type { Memory } from "../memory";
import { storedLedgerSeq } from "../memoryLedger";
import { rolledThrough, rollUpStep } from "./rollups";

/**
 * Keeps the daily roll-ups current (docs/history.md, "Roll-ups kept current"), from the alarm,
 * never from a call: due work brings them up to date, and so does every alarm that rings for the
 * fleet's report alone (the wake the fleet reporter arms 5 s after the first decision, then each
 * minute of changes: src/workspace/fleet.ts). So that a workspace without fleet reports is not
 * left behind, the alarm also comes by itself at the latest `ROLLUP_LAG_MS` after the first entry
 * the roll-ups do not hold. Whether one is waiting is told from memory (the ledger's sequence
 * against the pointer as this instance last saw it): a check or a spend runs no statement more.
 *
 * Where wakes are manual (FLEET_REPORTS=manual: the workerd tests), the alarm never rings for
 * roll-ups alone; due work (alarm, cron, test clock) still brings them up to date. Reads are
 * exact either way: they add the raw entries after the pointer (`chargedSlices`).
 */

/** The roll-ups are at most this far behind the ledger, where wakes are automatic. */
export const ROLLUP_LAG_MS = MINUTE_MS;
/** Steps (of `ROLLUP_BATCH_ROWS` entries, one transaction each) per due-work run. */
export const ROLLUP_STEPS_PER_RUN = 4;

/** The alarm's `RollupWake` (alarm.ts), one per object. */
export class RollupWork {
  /** The pointer as this instance last read or moved it (undefined: not read yet). */
  private through: number | undefined;
  /** When the alarm first saw an entry after the pointer (null: none waiting). */
  private waitingSince: Instant | null = null;
  /** The last step was full: more entries wait, the alarm comes back at once. */
  private more = false;

  constructor(
    private readonly site: Site,
    private readonly memory: Memory,
  ) {}

  private get automatic(): boolean {
    return this.site.env.FLEET_REPORTS !== "manual";
  }

  dueAt(now: Instant): Instant | null {
    if (!this.automatic) return null;
    if (this.more) return now;
    // Memory's sequence after a check or a spend (no SQL); storage's after other calls.
    const seq = this.memory.ledgerSeq() ?? storedLedgerSeq(this.site.store);
    this.through ??= rolledThrough(this.site.store);
    if (seq <= this.through) {
      this.waitingSince = null;
      return null;
    }
    this.waitingSince ??= now;
    return this.waitingSince + ROLLUP_LAG_MS;
  }

  run(now: Instant, dueWork: boolean): { more: boolean; events: boolean } {
    const { store } = this.site;
    const events = store.eventsRecorded;
    const from = rolledThrough(store);
    let step = { through: from, more: true };
    const steps = dueWork ? ROLLUP_STEPS_PER_RUN : 1;
    for (let i = 0; i < steps && step.more; i++) {
      step = this.site.transactionSync(() => rollUpStep(store));
    }
    this.through = step.through;
    this.more = step.more;
    this.waitingSince = null;
    // The forecast moves with spending: evaluated when entries were rolled up, and in due work
    // (a renewal, a top-up's expiry); once per period at most (credits/forecast.ts).
    if (dueWork || step.through !== from) {
      const ctx = this.memory.context(now);
      if (ctx !== null) this.site.transactionSync(() => announceForecast(ctx));
    }
    return { more: step.more, events: store.eventsRecorded !== events };
  }

  /**
   * Behind storage is only cautious (the archive moved the pointer: the alarm comes and finds
   * nothing); ahead of it, entries would wait for no alarm.
   */
  verify(audit: Store): void {
    const stored = rolledThrough(audit);
    if (this.through !== undefined && this.through > stored) {
      throw new Error(
        `roll-up pointer differs from storage: memory ${this.through}, storage ${stored}`,
      );
    }
  }
}
