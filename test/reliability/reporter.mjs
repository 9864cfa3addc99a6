// @ts-check
/**
 * Sums the figures each reliability test attaches as `task.meta.reliability` (see figures.ts),
 * prints them as the run's last lines, and fails the run (exit code 1) when a figure that must
 * be zero is not, even if every test passed. Plain JavaScript: it runs in Node.
 */
const ROWS = [
  ["requestsIssued", "requests issued", false],
  ["overspendFound", "overspend found", true],
  ["restartsSurvived", "restarts survived", false],
  ["acknowledgedSpendsLost", "acknowledged spends lost", true],
  ["doubleCharges", "double charges", true],
  ["inputsFuzzed", "inputs fuzzed", false],
  ["fiveHundredsSeen", "5xx seen", true],
  ["authorizationCasesChecked", "authorization cases checked", false],
];

export default class ReliabilityReporter {
  /** @type {Record<string, number>} */
  totals = Object.fromEntries(ROWS.map(([name]) => [name, 0]));
  /** @type {string[]} */
  notes = [];
  failed = 0;

  /** @param {import("vitest/node").TestCase} testCase */
  onTestCaseResult(testCase) {
    /** @type {any} */
    const figures = testCase.meta().reliability;
    if (testCase.result().state === "failed") this.failed++;
    if (figures === undefined) return;
    for (const [name] of ROWS) this.totals[name] += figures[name] ?? 0;
    this.notes.push(...(figures.notes ?? []));
  }

  onTestRunEnd() {
    const width = Math.max(...ROWS.map(([, label]) => String(label).length));
    const lines = ["", "Reliability run", ...this.notes.map((n) => `  ${n}`), ""];
    const bad = [];
    for (const [name, label, mustBeZero] of ROWS) {
      const value = this.totals[String(name)];
      const flag = mustBeZero ? (value === 0 ? "  (must be 0: ok)" : "  (must be 0: FAILED)") : "";
      if (mustBeZero && value !== 0) bad.push(label);
      lines.push(`  ${String(label).padEnd(width)}  ${String(value).padStart(8)}${flag}`);
    }
    if (bad.length > 0) lines.push("", `  NOT ZERO: ${bad.join(", ")}`);
    if (this.failed > 0) lines.push("", `  ${this.failed} reliability test(s) failed`);
    console.log(lines.join("\n"));
    if (bad.length > 0 || this.failed > 0) process.exitCode = 1;
  }
}
