import { describe, expect, it } from "vitest";
import {
  EXPORT_NAME,
  exportManifestKey,
  exportName,
  exportNameOfManifestKey,
  MAX_CORRECTION,
  parseExportName,
} from "../../src/policy/exports";

/**
 * The finance exports' names (docs/history.md#late-figures-correction-files): a day's file and
 * its corrections, their parts, and manifest keys that list each day's file before its
 * corrections, in order, before the next day.
 */

const DAY = Date.parse("2032-02-20T00:00:00Z");

describe("finance export names", () => {
  it.each([
    ["credits", 0, "credits-2032-02-20.csv"],
    ["statements", 0, "statements-2032-02-20.csv"],
    ["credits", 1, "credits-2032-02-20.correction-1.csv"],
    ["statements", 12, "statements-2032-02-20.correction-12.csv"],
    ["credits", MAX_CORRECTION, "credits-2032-02-20.correction-999999.csv"],
  ] as const)("%s correction %d is %s, and back", (kind, correction, name) => {
    expect(exportName(kind, DAY, correction)).toBe(name);
    expect(parseExportName(name)).toEqual({ kind, day: "2032-02-20", correction });
    const key = exportManifestKey(name);
    expect(key.startsWith("exports/manifests/")).toBe(true);
    expect(exportNameOfManifestKey(key)).toBe(name);
  });

  it.each([
    "credits-2032-02-20.correction-0.csv",
    "credits-2032-02-20.correction-01.csv",
    "credits-2032-02-20.correction-1000000.csv",
    "credits-2032-02-20.correction-.csv",
    "credits-2032-02-20.csv/correction-000001",
    "../credits-2032-02-20.csv",
    "ledger-2032-02-20.csv",
  ])("refuses %s", (name) => {
    expect(EXPORT_NAME.test(name)).toBe(false);
    expect(parseExportName(name)).toBeUndefined();
  });

  it("manifest keys list each day's file, then its corrections in order, then the next day", () => {
    const next = DAY + 86_400_000;
    const names = [
      exportName("credits", DAY),
      ...[1, 2, 9, 10, 11].map((n) => exportName("credits", DAY, n)),
      exportName("credits", next),
      exportName("credits", next, 1),
      exportName("statements", DAY),
    ];
    const keys = names.map(exportManifestKey);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each([
    "exports/manifests/credits-2032-02-20.csv/correction-1",
    "exports/manifests/credits-2032-02-20.csv/correction-000000",
    "exports/manifests/credits-2032-02-20.correction-1.csv",
    "exports/files/credits-2032-02-20.csv",
    "exports/manifests/nope",
  ])("reads no name from the key %s", (key) => {
    expect(exportNameOfManifestKey(key)).toBeUndefined();
  });
});
