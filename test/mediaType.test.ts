import { describe, expect, it } from "vitest";
import { isJsonMediaType } from "../src/mediaType";

/**
 * The one Content-Type decision (src/mediaType.ts, docs/api.md "Conventions"), on what the
 * route parity table (test/routes/preflight.test.ts) does not reach: quoted strings, headers
 * absent, and long runs of blanks and semicolons, answered in one pass.
 */
describe("isJsonMediaType", () => {
  it.each([
    [undefined, false],
    [null, false],
    ["", false],
    ["application/json", true],
    ["application/problem+json", true],
    ["application/json; a=b; c=d", true],
    ['application/json; a="x\\"y"', true],
    ['application/json; a="semi;colon, and blank"', true],
    ['application/json; a=""', true],
    ['application/json; a="\\', false],
    ['application/json; a="x"y', false],
    ["application/json; a=b c", false],
    ["application/json; a b=c", false],
    ["application/json;a==b", false],
    ["application /json", false],
    ["application/ json", false],
    ["application/json/x", false],
    ["*/*", false],
    ["application/*", false],
  ])("%j → %s", (header, expected) => {
    expect(isJsonMediaType(header)).toBe(expected);
  });

  it.each([
    ["blanks and semicolons", `application/json${" ;".repeat(50_000)}`, true],
    ["blanks then a bad end", `application/json${" ; ".repeat(50_000)}x`, false],
    ["a long quoted value", `application/json; a="${"\\\\".repeat(50_000)}"`, true],
  ])("answers %s of 100 kB", (_, header, expected) => {
    expect(isJsonMediaType(header)).toBe(expected);
  });
});
