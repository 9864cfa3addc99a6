// Where the billing page's browser tests find Chromium, and what to say when they cannot.
import { accessSync, constants, statSync } from "node:fs";

/** Debian and Ubuntu install it here; Chrome works too. Never a downloaded browser. */
const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

export const HOW_TO_ENABLE =
  "To run them, install Chromium (Debian or Ubuntu: `sudo apt-get install chromium`) or set CHROMIUM_PATH to a Chromium or Chrome executable, then run `npm run test:e2e`.";

export interface ChromiumLookup {
  /** The executable to launch; undefined when the browser tests must be skipped. */
  path?: string;
  /** Why, in one sentence, for the test run's output. */
  reason: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * CHROMIUM_PATH wins, and a CHROMIUM_PATH that is not an executable file means "no browser"
 * (it is not silently replaced by another one); otherwise the usual install paths.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const wanted = env.CHROMIUM_PATH;
  if (wanted !== undefined && wanted !== "") {
    return executable(wanted)
      ? { path: wanted, reason: `Chromium from CHROMIUM_PATH (${wanted})` }
      : { reason: `CHROMIUM_PATH is ${wanted}, which is not an executable file` };
  }
  const found = CANDIDATES.find(executable);
  return found === undefined
    ? { reason: `no Chromium found (looked at ${CANDIDATES.join(", ")})` }
    : { path: found, reason: `Chromium at ${found}` };
}
