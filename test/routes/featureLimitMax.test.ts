import { describe, expect, it } from "vitest";
import { call, freshWorkspace, subscribe } from "../support/helpers";

/** The largest feature cap, documented in the schema so it shows in the OpenAPI document. */
const MAX = 1_000_000_000;

describe("feature-limit maximum", () => {
  it("is documented in the OpenAPI document: a maximum and a description naming it", async () => {
    const doc = (await call("GET", "/openapi.json", { token: "" })).json;
    const limit = doc.components.schemas.FeatureLimitInput.properties.limit;
    expect(limit.description).toContain("1,000,000,000");
    expect(JSON.stringify(limit)).toContain(`"maximum":${MAX}`);
  });

  it("accepts the maximum and refuses one more with 400 naming limit", async () => {
    const ws = freshWorkspace("cap");
    await subscribe(ws);
    const path = `/v1/workspaces/${ws}/credits/feature-limits/copilot`;
    const atMax = await call("PUT", path, { role: "admin", body: { limit: MAX } });
    expect(atMax.status).toBe(200);
    expect(atMax.json.creditLimit).toBe(MAX);
    for (const limit of [MAX + 1, 1e15, 1e300]) {
      const r = await call("PUT", path, { role: "admin", body: { limit } });
      expect(r.status, String(limit)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(new Set(r.json.error.details.map((d: { path: string }) => d.path))).toEqual(
        new Set(["limit"]),
      );
      expect(r.json.error.message).toContain("limit:");
    }
    const after = await call("GET", `/v1/workspaces/${ws}/credits`);
    const copilot = after.json.features.find((f: { feature: string }) => f.feature === "copilot");
    expect(copilot.creditLimit).toBe(MAX);
  });
});
