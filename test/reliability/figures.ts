/**
 * The figures of the reliability run. Each test attaches the ones it measured to its task's
 * meta (`reportFigures`); test/reliability/reporter.mjs sums them over the run, prints the
 * table and fails the run when a must-be-zero figure is not zero. (The workerd tests cannot
 * write files or reach the reporter any other way.)
 */
export interface Figures {
  requestsIssued: number;
  overspendFound: number;
  restartsSurvived: number;
  acknowledgedSpendsLost: number;
  doubleCharges: number;
  inputsFuzzed: number;
  fiveHundredsSeen: number;
  authorizationCasesChecked: number;
}

/** The figures that must be zero for the run to pass. */
export const MUST_BE_ZERO = [
  "overspendFound",
  "acknowledgedSpendsLost",
  "doubleCharges",
  "fiveHundredsSeen",
] as const satisfies (keyof Figures)[];

declare module "vitest" {
  interface TaskMeta {
    reliability?: Partial<Figures> & { notes?: string[] };
  }
}

interface HasMeta {
  task: { meta: { reliability?: Partial<Figures> & { notes?: string[] } } };
}

/**
 * Adds figures to the running test's report. Call it before asserting, so a failing test
 * still reports what it saw.
 */
export function reportFigures(ctx: HasMeta, figures: Partial<Figures>, note?: string): void {
  const current = ctx.task.meta.reliability ?? {};
  for (const [name, value] of Object.entries(figures) as [keyof Figures, number][]) {
    current[name] = (current[name] ?? 0) + value;
  }
  if (note !== undefined) current.notes = [...(current.notes ?? []), note];
  ctx.task.meta.reliability = current;
}
