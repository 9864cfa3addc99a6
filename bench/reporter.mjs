// @ts-check
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Collects what each bench test attaches as `task.meta.bench` (see bench/result.ts; the tests
 * run inside workerd, which cannot write here), prints its table and writes
 * bench/results/<name>.json when the bench passed. Plain JavaScript because it runs in Node, outside the Workers types.
 */
export default class BenchReporter {
  /** @param {import("vitest/node").TestCase} testCase */
  onTestCaseResult(testCase) {
    /** @type {import("./result").BenchResult | undefined} */
    const result = /** @type {any} */ (testCase.meta()).bench;
    if (result === undefined) return;
    console.log(`\n${result.title}\n`);
    console.table(result.table);
    if (!result.write) {
      console.log("(a reduced run: bench/results not written)");
      return;
    }
    if (testCase.result().state !== "passed") {
      console.log("(the bench failed its checks: bench/results not written)");
      return;
    }
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${result.name}.json`);
    writeFileSync(file, `${JSON.stringify(result.data, null, 2)}\n`);
    console.log(`written to ${file}`);
  }
}
