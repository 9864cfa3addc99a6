import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findChromium } from "./chromium";

const dir = mkdtempSync(join(tmpdir(), "quota-chromium-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("finding Chromium for the browser tests", () => {
  it("treats a CHROMIUM_PATH that is missing like a machine without Chromium", () => {
    const missing = join(dir, "no-such-chromium");
    expect(findChromium({ CHROMIUM_PATH: missing })).toEqual({
      reason: `CHROMIUM_PATH is ${missing}, which is not an executable file`,
    });
  });

  it("does not take a file it cannot run, or a directory", () => {
    const plain = join(dir, "not-executable");
    writeFileSync(plain, "");
    chmodSync(plain, 0o644);
    expect(findChromium({ CHROMIUM_PATH: plain }).path).toBeUndefined();
    expect(findChromium({ CHROMIUM_PATH: dir }).path).toBeUndefined();
  });

  it("launches what CHROMIUM_PATH names when it can run it", () => {
    const browser = join(dir, "my-chromium");
    writeFileSync(browser, "#!/bin/sh\n");
    chmodSync(browser, 0o755);
    expect(findChromium({ CHROMIUM_PATH: browser }).path).toBe(browser);
  });
});
