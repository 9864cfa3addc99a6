// @ts-check
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Collects what each bench test attaches as `task.meta.bench` (see bench/result.ts; the tests
 * run inside workerd, which cannot write here), prints its table and writes
 * bench/.out/<name>.json (ignored) when the bench passed; with BENCH_WRITE=1 also
 * bench/results/<name>.json, the committed figures the docs quote. Plain JavaScript because it
 * runs in Node, outside the Workers types.
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
      console.log("(a reduced run: no results written)");
      return;
    }
    if (testCase.result().state !== "passed") {
      console.log("(the bench failed its checks: no results written)");
      return;
    }
    const json = `${JSON.stringify(result.data, null, 2)}\n`;
    const out = join(import.meta.dirname, ".out");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${result.name}.json`), json);
    console.log(`written to ${join(out, `${result.name}.json`)}`);
    if (process.env.BENCH_WRITE === "1") {
      const committed = join(import.meta.dirname, "results", `${result.name}.json`);
      writeFileSync(committed, json);
      console.log(`copied to ${committed}`);
    }
  }
}
