import { SELF } from "cloudflare:test";
import { type Schema, Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { EXAMPLE_ORIGIN, EXAMPLE_WORKSPACE } from "../../src/app/docs";
import { ERROR_STATUS } from "../../src/errors";
import type { Role } from "../../src/workspace/context";
import { call, freshWorkspace, token } from "../support/helpers";

const get = (path: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`https://quota.test${path}`, { headers });

/** Every URL a page would load or link to outside this origin. */
const external = (html: string) =>
  [...html.matchAll(/(?:src|href|action)\s*=\s*["']?\s*((?:https?:)?\/\/[^"'\s>]+)/gi)].map(
    (m) => m[1],
  );

describe("GET /", () => {
  it("gives a person a page with links to the billing page and the reference", async () => {
    const r = await get("/", {
      accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/text\/html/);
    const html = await r.text();
    expect(html).toContain('href="/docs"');
    expect(html).toContain('href="/app"');
    expect(external(html)).toEqual([]);
  });

  it("answers JSON to a client that asks for it, or asks for anything", async () => {
    for (const accept of ["application/json", "*/*", "application/json, text/html;q=0.5"]) {
      const r = await get("/", { accept });
      expect(r.headers.get("content-type"), accept).toMatch(/application\/json/);
      expect(await r.json()).toMatchObject({
        docs: "/docs",
        app: "/app",
        openapi: "/openapi.json",
      });
    }
  });
});

describe("GET /docs", () => {
  it("renders every operation and every error code itself, with nothing from elsewhere", async () => {
    const r = await get("/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/text\/html/);
    const csp = r.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe|https?:/);
    const html = await r.text();
    expect(html).not.toMatch(/<script/i);
    expect(external(html)).toEqual([]);
    const doc = (await (await get("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { summary: string }>>;
    };
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        expect(html, `${method} ${path}`).toContain(`id="op-${method}-`);
        expect(html).toContain(path);
        expect(html).toContain(
          op.summary.replaceAll("&", "&amp;").replaceAll("'", "&#39;").replaceAll('"', "&quot;"),
        );
      }
    }
    expect(operations).toBeGreaterThan(20);
    expect((html.match(/class="op" id="op-/g) ?? []).length).toBe(operations);
    for (const code of Object.keys(ERROR_STATUS)) expect(html).toContain(`id="error-${code}"`);
    // The new route's schema is documented with its fields.
    expect(html).toContain("/v1/workspaces/{ws}/credits/daily");
    expect(html).toContain('id="schema-dailycredits"');
  });

  it("shows every operation a curl example whose body its schema accepts, and that the service takes", async () => {
    const html = await (await get("/docs")).text();
    const doc = (await (await get("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            "x-roles"?: string[];
            "x-websocket"?: boolean;
            requestBody?: { content: { "application/json": { schema: Schema } } };
          }
        >
      >;
      components: Record<string, unknown>;
    };
    const fromHtml = (text: string) =>
      text
        .replaceAll("&quot;", '"')
        .replaceAll("&#39;", "'")
        .replaceAll("&lt;", "<")
        .replaceAll("&gt;", ">")
        .replaceAll("&amp;", "&");
    const slug = (text: string) =>
      text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "");
    // The examples run against a workspace of this test's own, in the document's order (the
    // subscription comes first, so the workspace has a plan for the rest).
    const ws = freshWorkspace("curl");
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const what = `${method.toUpperCase()} ${path}`;
        const section = new RegExp(
          `id="op-${method}-${slug(path)}">[\\s\\S]*?<pre class="curl"><code>([\\s\\S]*?)</code></pre>`,
        ).exec(html);
        expect(section, what).not.toBeNull();
        const curl = fromHtml(section?.[1] ?? "");
        if (op["x-websocket"] === true) {
          // The live socket is no JSON call: its example asks a ticket, then opens the socket
          // (test/routes/live.test.ts runs both steps).
          expect(curl, what).toContain("/live/ticket");
          expect(curl, what).toContain("new WebSocket(");
          continue;
        }
        // What a shell would run: the method, the URL, the token's role, the body.
        const shown = /^curl -s(?: -X (\w+))? '([^']+)'/.exec(curl);
        expect(shown, `${what}: ${curl}`).not.toBeNull();
        expect((shown?.[1] ?? "GET").toLowerCase(), what).toBe(method);
        const url = new URL(shown?.[2] ?? "");
        expect(url.origin, what).toBe(EXAMPLE_ORIGIN);
        const template = new RegExp(
          `^${path.replace(/\{ws\}/, EXAMPLE_WORKSPACE).replace(/\{\w+\}/g, "[^/]+")}$`,
        );
        expect(url.pathname, what).toMatch(template);
        // A route outside any workspace (the fleet) shows a token for every workspace.
        const tokenWs = path.includes("{ws}") ? EXAMPLE_WORKSPACE : "'\\*'";
        const role = new RegExp(
          `-H "Authorization: Bearer \\$\\(npm run -s token -- ${tokenWs} (\\w+)\\)"`,
        ).exec(curl)?.[1];
        expect(op["x-roles"], what).toContain(role);
        const quoted = /-d '((?:[^']|'\\'')*)'/.exec(curl)?.[1];
        const schema = op.requestBody?.content["application/json"].schema;
        expect(quoted !== undefined, `${what} has a body iff it takes one`).toBe(
          schema !== undefined,
        );
        const body = quoted === undefined ? undefined : JSON.parse(quoted.replaceAll("'\\''", "'"));
        if (schema !== undefined) {
          const validator = new Validator(
            { ...schema, components: doc.components } as Schema,
            "2020-12",
          );
          const result = validator.validate(body);
          expect(result.errors, `${what}: ${JSON.stringify(body)}`).toEqual([]);
        }
        // And the service takes it: past the token, the role and validation (an id no call
        // created may still be a 404 or a 409).
        const r = await call(
          method.toUpperCase(),
          url.pathname.replace(`/${EXAMPLE_WORKSPACE}/`, `/${ws}/`),
          {
            token: await token(path.includes("{ws}") ? ws : "*", role as Role),
            body,
          },
        );
        expect([400, 401, 403, 405, 413], `${what}: ${r.status} ${r.text}`).not.toContain(r.status);
        expect(r.status, `${what}: ${r.text}`).toBeLessThan(500);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("serves its stylesheet from the Worker", async () => {
    const html = await (await get("/docs")).text();
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1];
    expect(href).toBe("/docs/docs.css");
    const css = await get(href ?? "");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
    expect(await css.text()).toContain(".op");
  });
});

describe("GET /app", () => {
  it("loads only its own script and stylesheet, under a CSP with no inline code", async () => {
    const r = await get("/app");
    expect(r.status).toBe(200);
    const csp = r.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await r.text();
    expect(external(html)).toEqual([]);
    // No inline script or style for the CSP to refuse.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/i);
    expect(html).not.toMatch(/<style|\sstyle=/i);
    const js = await get("/app/app.js");
    expect(js.headers.get("content-type")).toMatch(/text\/javascript/);
    const script = await js.text();
    expect(script).toContain("/v1/workspaces/");
    expect(script).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(script).not.toMatch(/innerHTML/);
    const css = await get("/app/app.css");
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
  });
});

describe("a wrong method on a known path", () => {
  it("is a 405 in the error shape with Allow, before any token is asked for", async () => {
    const ws = freshWorkspace("method");
    const r = await call("DELETE", `/v1/workspaces/${ws}/usage`, { token: "" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD");
    expect(r.json).toEqual({
      error: {
        code: "method_not_allowed",
        message: `DELETE is not allowed on /v1/workspaces/${ws}/usage; it takes GET, HEAD.`,
        requestId: r.headers.get("x-request-id"),
      },
    });
    const sub = await call("PATCH", `/v1/workspaces/${ws}/subscription`);
    expect(sub.status).toBe(405);
    expect(sub.headers.get("allow")).toBe("GET, HEAD, PUT");
    const agent = await call("GET", `/v1/workspaces/${ws}/agents/a-1/activate`);
    expect(agent.status).toBe(405);
    expect(agent.headers.get("allow")).toBe("POST");
    const docs = await call("POST", "/docs", { token: "" });
    expect(docs.status).toBe(405);
    expect(docs.json.error.code).toBe("method_not_allowed");
  });

  it("leaves the right method, HEAD and unknown paths alone", async () => {
    const ws = freshWorkspace("method");
    expect((await call("GET", `/v1/workspaces/${ws}/usage`)).status).toBe(404); // no plan yet
    expect((await SELF.fetch("https://quota.test/docs", { method: "HEAD" })).status).toBe(200);
    const unknown = await call("GET", "/v2/nothing", { token: "" });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("not_found");
  });
});
