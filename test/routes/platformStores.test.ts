import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as ops from "../../src/operations";
import { invokePlatform, STORE_RETRY_AFTER_SECONDS } from "../../src/operations/platform";
import { platformWith } from "../support/helpers";

/**
 * The platform's routes when the stores they read do not answer (docs/catalogue.md, "When D1 is
 * down"; docs/api.md#errors): the fleet index's D1 or the archive's R2 failing is the 503
 * `unavailable` with a Retry-After that every route answers for what it cannot reach, never a
 * 500, and changes nothing; a bug of the code (a TypeError) stays the 500 it is.
 */

const lost = () => new Error("D1_ERROR: Network connection lost.");

/** The fleet's D1 unreachable: every statement fails, as the binding's do in an outage. */
const d1Down = {
  prepare() {
    return {
      bind() {
        return this;
      },
      all: () => Promise.reject(lost()),
      first: () => Promise.reject(lost()),
      run: () => Promise.reject(lost()),
      raw: () => Promise.reject(lost()),
    };
  },
  batch: () => Promise.reject(lost()),
  exec: () => Promise.reject(lost()),
} as unknown as D1Database;

/** The archive's R2 unreachable. */
const r2Down = {
  get: () => Promise.reject(new Error("get: We encountered an internal error. (10001)")),
  head: () => Promise.reject(new Error("head: We encountered an internal error. (10001)")),
  list: () => Promise.reject(new Error("list: We encountered an internal error. (10001)")),
} as unknown as R2Bucket;

/** A bug, not an outage: the runtime's own error class. */
const d1Buggy = {
  prepare() {
    throw new TypeError("prepare is not a function of this (a bug)");
  },
} as unknown as D1Database;

async function send(method: string, path: string, bindings: Partial<typeof env>, body?: unknown) {
  const answer = await platformWith({ ...bindings, CATALOGUE_FAN_OUT: "off" }, method, path, body);
  return { ...answer, retryAfter: answer.headers.get("retry-after") };
}

let errors: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  // The Worker logs each failed store read; the test reads the log instead of printing it.
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => errors.mockRestore());

const DRAFT = "v-stores";

describe("the platform's routes when a store does not answer", () => {
  it.each([
    ["GET", "/v1/catalogue", undefined, { FLEET: d1Down }],
    ["GET", "/v1/catalogue/fan-out", undefined, { FLEET: d1Down }],
    ["GET", "/v1/catalogue/versions/2026-06", undefined, { FLEET: d1Down }],
    ["POST", "/v1/catalogue/versions/2026-06/preview", {}, { FLEET: d1Down }],
    [
      "POST",
      `/v1/catalogue/versions/${DRAFT}/publish`,
      { effectiveAt: "2031-01-01T00:00:00Z" },
      { FLEET: d1Down },
    ],
    ["DELETE", `/v1/catalogue/versions/${DRAFT}`, undefined, { FLEET: d1Down }],
    ["GET", "/v1/fleet/summary", undefined, { FLEET: d1Down }],
    ["GET", "/v1/fleet/workspaces", undefined, { FLEET: d1Down }],
    ["GET", "/v1/fleet/decisions", undefined, { FLEET: d1Down }],
    ["GET", "/v1/exports", undefined, { ARCHIVE: r2Down }],
    ["GET", "/v1/exports/credits-2026-12-01.csv", undefined, { ARCHIVE: r2Down }],
  ] as const)(
    "%s %s: a 503 unavailable with Retry-After, logged",
    async (method, path, body, bindings) => {
      const answer = await send(method, path, bindings, body);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe(String(STORE_RETRY_AFTER_SECONDS));
      const error = answer.json.error as { code: string; message: string; requestId: string };
      expect(error.code).toBe("unavailable");
      expect(error.message).toContain(`Retry in ${STORE_RETRY_AFTER_SECONDS} s`);
      expect(error.requestId).toEqual(expect.any(String));
      expect(errors).toHaveBeenCalledWith(
        expect.stringContaining("a store did not answer"),
        expect.any(Error),
      );
    },
  );

  it("a publish that D1 refused changed nothing: the version is still a draft once D1 answers", async () => {
    const draft = await send("GET", "/v1/catalogue/versions/2026-06", {});
    expect(draft.status).toBe(200);
    const { plans, featureCosts } = draft.json as { plans: unknown; featureCosts: unknown };
    expect(
      (await send("PUT", `/v1/catalogue/versions/${DRAFT}`, {}, { plans, featureCosts })).status,
    ).toBe(200);
    const refused = await send(
      "POST",
      `/v1/catalogue/versions/${DRAFT}/publish`,
      { FLEET: d1Down },
      { effectiveAt: "2031-01-01T00:00:00Z" },
    );
    expect(refused.status).toBe(503);
    const after = await send("GET", `/v1/catalogue/versions/${DRAFT}`, {});
    expect(after.json.status).toBe("draft");
  });

  it("a bug is not an outage: the runtime's TypeError stays a 500 internal_error", async () => {
    const answer = await send("GET", "/v1/catalogue", { FLEET: d1Buggy });
    expect(answer.status).toBe(500);
    expect(answer.retryAfter).toBeNull();
    expect((answer.json.error as { code: string }).code).toBe("internal_error");
  });

  it("over the binding, the same error value (QuotaPlatform's invokePlatform)", async () => {
    const answer = await invokePlatform(
      { ...env, FLEET: d1Down },
      ops.catalogue,
      {},
      {
        announce: async () => undefined,
        fanOutProgress: () => Promise.reject(new Error("unused")),
      },
    );
    expect(answer).toEqual({ error: { code: "unavailable", message: expect.any(String) } });
  });
});
