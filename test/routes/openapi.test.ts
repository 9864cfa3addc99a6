import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import openApi31Schema from "../../node_modules/@seriousme/openapi-schema-validator/schemas/v3.1/schema.json";
import { createApp } from "../../src/api";
import committedDocument from "../../src/client/openapi.json";
import { ERROR_STATUS } from "../../src/errors";
import { call, freshWorkspace, subscribe } from "../support/helpers";
import { checkAnswerAgainstOpenApi } from "../support/openapiCheck";

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
};

async function document() {
  const r = await call("GET", "/openapi.json", { token: "" });
  expect(r.status).toBe(200);
  return r.json as { openapi: string; paths: Record<string, Record<string, Operation>> };
}

/** Every method and path the Worker serves under /v1, from the router itself. */
function servedRoutes() {
  const seen = new Set<string>();
  for (const r of createApp().routes) {
    if (r.method === "ALL" || !r.path.startsWith("/v1/")) continue;
    seen.add(`${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
  }
  return [...seen];
}

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const result = new Validator(openApi31Schema as object, "2020-12", false).validate(doc);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator itself must be able to say no.
    const broken = new Validator(openApi31Schema as object, "2020-12", false).validate({
      openapi: "3.1.0",
      paths: { "/x": { get: { responses: "none" } } },
    });
    expect(broken.valid).toBe(false);
  });

  it("documents every route the Worker serves, each with its error responses", async () => {
    const doc = await document();
    const routes = servedRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const route of routes) {
      const [method, path] = route.split(" ") as [string, string];
      const op = doc.paths[path]?.[method];
      expect(op, `${route} is documented`).toBeDefined();
      if (op === undefined) continue;
      // The live socket alone takes a one-time ticket: a browser cannot send a bearer token.
      const security = path.endsWith("/live") ? [{ ticket: [] }] : [{ bearer: [] }];
      expect(op.security, `${route} declares its auth`).toEqual(security);
      // A ticket is bound to its workspace: the live socket has no role to refuse (no 403).
      const statuses = path.endsWith("/live")
        ? ["400", "401", "413", "500"]
        : ["400", "401", "403", "413", "500"];
      for (const status of statuses) {
        expect(op.responses[status], `${route} documents ${status}`).toBeDefined();
      }
      // Every route but the fleet's, the catalogue's and the exports' (which span all
      // workspaces) names its workspace.
      if (!/^\/v1\/(fleet\/|catalogue|exports)/.test(path)) {
        expect(op.parameters?.some((p) => p.name === "ws" && p.in === "path")).toBe(true);
      }
    }
  });

  it("documents exactly the error codes of the one error enum, under their statuses", async () => {
    const doc = await document();
    const documented = new Map<string, string>();
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const schema = response.content?.["application/json"]?.schema as
            | { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } }
            | undefined;
          for (const code of schema?.properties?.error?.properties?.code?.enum ?? []) {
            documented.set(code, status);
          }
        }
      }
    }
    for (const [code, status] of documented) {
      expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS], code).toBe(Number(status));
    }
    expect([...documented.keys()]).toEqual(
      expect.arrayContaining(["invalid_request", "forbidden"]),
    );
  });

  it("serves a docs page that renders the document", async () => {
    const r = await call("GET", "/docs", { token: "" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/text\/html/);
    expect(r.text).toContain("/openapi.json");
  });

  it("is the document the typed client was generated from (else: npm run client:generate)", async () => {
    const doc = await document();
    expect(doc, "src/client/openapi.json is stale: run `npm run client:generate`").toEqual(
      committedDocument,
    );
  });
});

describe("the 2xx check every route test runs (test/support/openapiCheck.ts)", () => {
  const agent = {
    id: "a1",
    name: "A",
    state: "draft",
    createdAt: "2026-07-15T00:00:00.000Z",
    updatedAt: "2026-07-15T00:00:00.000Z",
    activatedAt: null,
    offlineReason: null,
  };
  const list = { agents: [agent], active: 0, limit: 1, total: 1, totalLimit: 500 };
  const agents = "/v1/workspaces/acme/agents";

  it("passes what the document describes", async () => {
    await checkAnswerAgainstOpenApi("GET", agents, 200, list);
    const { agents: _, ...figures } = list;
    const refused = { ...figures, allowed: false, message: "m", changed: false, agent: null };
    await checkAnswerAgainstOpenApi("POST", agents, 200, refused);
    // A real answer through call() is checked the same way (and passes).
    const ws = freshWorkspace();
    expect((await subscribe(ws)).status).toBe(200);
  });

  it("fails a wrong type, a missing field, an undeclared field and an undocumented answer", async () => {
    const broken: [string, string, unknown][] = [
      ["GET", agents, { ...list, total: "1" }],
      ["GET", agents, { ...list, totalLimit: undefined }],
      ["GET", agents, { ...list, agents: [{ ...agent, secret: 1 }] }],
      ["GET", agents, { ...list, extra: true }],
      // An agent in a list is never null (only a refused create answers `agent: null`).
      ["GET", agents, { ...list, agents: [null] }],
      ["GET", "/v1/workspaces/acme/nothing-here", {}],
      ["PATCH", agents, list],
    ];
    for (const [method, path, body] of broken) {
      await expect(
        checkAnswerAgainstOpenApi(method, path, 200, body),
        `${method} ${path} ${JSON.stringify(body)}`,
      ).rejects.toThrow();
    }
  });
});
