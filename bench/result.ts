/** What a bench test hands to bench/reporter.mjs through `task.meta.bench`. */
export interface BenchResult {
  /** bench/results/<name>.json */
  name: string;
  title: string;
  /** Rows printed as a table. */
  table: Record<string, string | number>[];
  /** The JSON written to the results file. */
  data: unknown;
  /** False for a reduced run, whose figures must not replace the committed ones. */
  write: boolean;
}

declare module "vitest" {
  interface TaskMeta {
    bench?: BenchResult;
  }
}
