// A reporter that ends the e2e run with one plain line when the browser tests were skipped.
import type { Reporter } from "vitest/node";
import { findChromium, HOW_TO_ENABLE } from "./chromium";

export default class BrowserNote implements Reporter {
  onTestRunEnd() {
    const chromium = findChromium();
    if (chromium.path !== undefined) return;
    process.stdout.write(`\n  Browser tests SKIPPED: ${chromium.reason}.\n  ${HOW_TO_ENABLE}\n\n`);
  }
}
