/**
 * The API reference at /docs, rendered by the Worker itself from the OpenAPI document: no
 * script, no CDN, no web font, so it opens on an offline machine and under a CSP that allows
 * nothing but its own stylesheet. Every value of the document is escaped.
 */
import { ERROR_DESCRIPTIONS, ERROR_STATUS, type ErrorCode } from "../errors";
import { escapeHtml as esc } from "./html";

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
};

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Operation {
  tags?: string[];
  /** The roles that may call it, least powerful last (written from the role map, src/claims.ts). */
  "x-roles"?: string[];
  /** A WebSocket upgrade with a one-time ticket (the live balance), not a JSON call. */
  "x-websocket"?: boolean;
  summary?: string;
  description?: string;
  security?: Record<string, unknown>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: Schema }> }
  >;
}

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, Schema>;
    securitySchemes?: Record<string, { description?: string; scheme?: string }>;
  };
}

const METHODS = ["get", "put", "post", "delete", "patch"] as const;
/** Schemas nest a few levels; the bound only guards against a cycle the generator never makes. */
const MAX_DEPTH = 8;

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
const refName = (ref: string) => ref.replace(/^#\/components\/schemas\//, "");
const opId = (method: string, path: string) => `op-${method}-${slug(path)}`;

/** `code` spans for backticked words in a description: the document's only markup. */
const prose = (text: string | undefined) =>
  text === undefined ? "" : esc(text).replace(/`([^`]+)`/g, "<code>$1</code>");

const literal = (v: unknown) => `<code>${esc(JSON.stringify(v))}</code>`;

function typeLabel(s: Schema): string {
  if (s.$ref !== undefined) {
    const name = refName(s.$ref);
    return `<a href="#schema-${esc(slug(name))}">${esc(name)}</a>`;
  }
  if (s.anyOf ?? s.oneOf) {
    return (s.anyOf ?? s.oneOf ?? []).map(typeLabel).join(" or ");
  }
  if (s.allOf) return s.allOf.map(typeLabel).join(" and ");
  if (s.const !== undefined) return literal(s.const);
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  const parts = types.map((t) =>
    t === "array" && s.items ? `array of ${typeLabel(s.items)}` : esc(t),
  );
  if (s.nullable) parts.push("null");
  return parts.length > 0 ? parts.join(" or ") : "any";
}

function constraints(s: Schema): string {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map(literal).join(", ")}`);
  if (s.format) out.push(esc(s.format));
  if (s.minimum !== undefined) out.push(`≥ ${esc(s.minimum)}`);
  if (s.maximum !== undefined) out.push(`≤ ${esc(s.maximum)}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) {
    out.push(`${esc(s.minLength ?? 0)}–${esc(s.maxLength ?? "∞")} characters`);
  }
  if (s.minItems !== undefined || s.maxItems !== undefined) {
    out.push(`${esc(s.minItems ?? 0)}–${esc(s.maxItems ?? "∞")} items`);
  }
  if (s.pattern) out.push(`pattern <code>${esc(s.pattern)}</code>`);
  if (s.default !== undefined) out.push(`default ${literal(s.default)}`);
  if (s.example !== undefined) out.push(`example ${literal(s.example)}`);
  return out.length > 0 ? `<span class="muted">${out.join(" · ")}</span>` : "";
}

/** An object's fields as a nested list; anything else as its type and constraints. */
function schemaHtml(s: Schema | undefined, depth = 0): string {
  if (s === undefined) return "";
  const nested = s.type === "array" && s.items && !s.items.$ref ? s.items : s;
  const props = depth < MAX_DEPTH ? nested.properties : undefined;
  if (props === undefined || Object.keys(props).length === 0) {
    return `<p class="schema">${typeLabel(s)} ${constraints(s)}${s.description ? ` — ${prose(s.description)}` : ""}</p>`;
  }
  const required = new Set(nested.required ?? []);
  const rows = Object.entries(props).map(([name, p]) => {
    const inner =
      p.properties || (p.type === "array" && p.items?.properties) ? schemaHtml(p, depth + 1) : "";
    return `<li><code class="field">${esc(name)}</code> <span class="type">${typeLabel(p)}</span>${
      required.has(name) ? ' <span class="req">required</span>' : ""
    } ${constraints(p)}${p.description ? `<div class="desc">${prose(p.description)}</div>` : ""}${inner}</li>`;
  });
  const head = nested === s ? "" : `<p class="schema">array of objects:</p>`;
  return `${head}<ul class="fields">${rows.join("")}</ul>`;
}

/** Expands a top-level `$ref` so an operation shows its fields without a jump. */
function bodyHtml(s: Schema | undefined, doc: OpenApiDocument): string {
  if (s?.$ref === undefined) return schemaHtml(s);
  const name = refName(s.$ref);
  const target = doc.components?.schemas?.[name];
  return `<p class="schema">${typeLabel(s)}${target?.description ? ` — ${prose(target.description)}` : ""}</p>${
    target?.properties ? schemaHtml(target) : ""
  }`;
}

// ---- example requests ------------------------------------------------------------------------

/** Where `npm start` serves, and the workspace every example uses. */
export const EXAMPLE_ORIGIN = "http://127.0.0.1:8787";
export const EXAMPLE_WORKSPACE = "acme";
/** Any instant in the contract's range, for a date-time without its own example. */
const EXAMPLE_INSTANT = "2026-07-15T00:00:00.000Z";

function deref(s: Schema, doc: OpenApiDocument): Schema {
  let out = s;
  for (let i = 0; out.$ref !== undefined && i < MAX_DEPTH; i++) {
    out = doc.components?.schemas?.[refName(out.$ref)] ?? {};
  }
  return out;
}

const matches = (pattern: string | undefined, value: string) =>
  pattern === undefined || new RegExp(pattern, "u").test(value);

/** A string the schema accepts: its example if the pattern takes it, else a plain id. */
function sampleString(s: Schema): string {
  if (typeof s.example === "string" && matches(s.pattern, s.example)) return s.example;
  if (s.format === "date-time") return EXAMPLE_INSTANT;
  return ["example-1", "example1", "x"].find((c) => matches(s.pattern, c)) ?? "x";
}

/**
 * A value the schema accepts, for an example request: the schema's own example where it has one,
 * else built from its type (required fields only, so a field one role may not send is left out).
 */
export function sampleOf(schema: Schema, doc: OpenApiDocument, depth = 0): unknown {
  const s = deref(schema, doc);
  if (s.example !== undefined && (typeof s.example !== "string" || matches(s.pattern, s.example))) {
    return s.example;
  }
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum !== undefined) return s.enum.find((v) => v !== null) ?? null;
  const choices = s.anyOf ?? s.oneOf;
  if (choices !== undefined) {
    const first = choices.find((c) => deref(c, doc).type !== "null") ?? choices[0];
    return first === undefined ? null : sampleOf(first, doc, depth + 1);
  }
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const type = types.find((t) => t !== "null") ?? types[0];
  if (depth > MAX_DEPTH) return null;
  switch (type) {
    case "object":
      return Object.fromEntries(
        (s.required ?? []).map((name) => [
          name,
          sampleOf(s.properties?.[name] ?? {}, doc, depth + 1),
        ]),
      );
    case "array":
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () =>
        sampleOf(s.items ?? {}, doc, depth + 1),
      );
    case "integer":
    case "number":
      return Math.min(Math.max(1, s.minimum ?? 1), s.maximum ?? Number.MAX_SAFE_INTEGER);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return sampleString(s);
  }
}

/** Quotes for a POSIX shell: single quotes, each inner one closed, escaped and reopened. */
const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * The live socket's example: a ticket first (a viewer's), then the socket, opened with the Node
 * of the project's devDependencies, which has WebSocket built in; each message is printed.
 */
function socketExample(concrete: string): string {
  const ticketUrl = `${EXAMPLE_ORIGIN}${concrete}/ticket`;
  const socketUrl = `${EXAMPLE_ORIGIN.replace(/^http/, "ws")}${concrete}?ticket=`;
  return [
    `TICKET=$(curl -s -X POST ${shellQuote(ticketUrl)} -H "Authorization: Bearer $(npm run -s token -- ${EXAMPLE_WORKSPACE} viewer)" | jq -r .ticket)`,
    `npx node -e 'new WebSocket(process.argv[1]).onmessage = (e) => console.log(e.data)' ${shellQuote(socketUrl)}"$TICKET"`,
  ].join("\n");
}

/**
 * The operation as a curl command that runs against `npm start`: workspace `acme`, a token of
 * the least powerful role that may call it from `npm run token`, and a body built from the
 * request schema (its example where it has one).
 */
export function curlExample(
  method: string,
  path: string,
  op: Operation,
  doc: OpenApiDocument,
): string {
  const params = op.parameters ?? [];
  const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const param = params.find((p) => p.in === "path" && p.name === name);
    const value = name === "ws" ? EXAMPLE_WORKSPACE : sampleOf(param?.schema ?? {}, doc);
    return encodeURIComponent(String(value));
  });
  const query = params
    .filter((p) => p.in === "query" && p.required)
    .map((p) => `${p.name}=${encodeURIComponent(String(sampleOf(p.schema ?? {}, doc)))}`);
  const url = `${EXAMPLE_ORIGIN}${concrete}${query.length > 0 ? `?${query.join("&")}` : ""}`;
  if (op["x-websocket"] === true) return socketExample(concrete);
  const lines = [
    `curl -s${method === "get" ? "" : ` -X ${method.toUpperCase()}`} ${shellQuote(url)}`,
  ];
  if ((op.security ?? []).length > 0) {
    const role = op["x-roles"]?.at(-1) ?? "platform";
    // A route outside any workspace (the fleet) takes a token for every workspace.
    const ws = path.includes("{ws}") ? EXAMPLE_WORKSPACE : "'*'";
    lines.push(`-H "Authorization: Bearer $(npm run -s token -- ${ws} ${role})"`);
  }
  const body = op.requestBody?.content?.["application/json"]?.schema;
  if (body !== undefined) {
    lines.push("-H 'Content-Type: application/json'");
    lines.push(`-d ${shellQuote(JSON.stringify(sampleOf(body, doc)))}`);
  }
  return lines.join(" \\\n  ");
}

/** The error codes an error response's schema allows. */
function errorCodes(s: Schema | undefined): string[] | undefined {
  const code = s?.properties?.error?.properties?.code;
  return code?.enum?.map(String);
}

function parametersHtml(params: Parameter[]): string {
  if (params.length === 0) return "";
  const items = params.map(
    (p) =>
      `<li><code class="field">${esc(p.name)}</code> <span class="muted">in ${esc(p.in)}</span> ${
        p.schema ? `<span class="type">${typeLabel(p.schema)}</span>` : ""
      }${p.required ? ' <span class="req">required</span>' : ""} ${p.schema ? constraints(p.schema) : ""}${
        p.description ? `<div class="desc">${prose(p.description)}</div>` : ""
      }</li>`,
  );
  return `<h4>Parameters</h4><ul class="fields">${items.join("")}</ul>`;
}

function responsesHtml(op: Operation, doc: OpenApiDocument): string {
  const entries = Object.entries(op.responses ?? {});
  const ok = entries.filter(([status]) => Number(status) < 400);
  const errors = entries.filter(([status]) => Number(status) >= 400);
  const okHtml = ok
    .map(
      ([status, r]) =>
        `<h4>${esc(status)} · ${prose(r.description)}</h4>${bodyHtml(r.content?.["application/json"]?.schema, doc)}`,
    )
    .join("");
  const errorRows = errors.map(([status, r]) => {
    const codes = errorCodes(r.content?.["application/json"]?.schema) ?? [];
    return `<li><span class="status">${esc(status)}</span> ${codes
      .map((c) => `<a href="#error-${esc(c)}"><code>${esc(c)}</code></a>`)
      .join(", ")}</li>`;
  });
  return `${okHtml}${
    errorRows.length > 0
      ? `<h4>Errors</h4><p class="muted">Each as <a href="#errors"><code>{ "error": { "code", "message", "details"? } }</code></a>.</p><ul class="errors">${errorRows.join("")}</ul>`
      : ""
  }`;
}

function operationHtml(method: string, path: string, op: Operation, doc: OpenApiDocument) {
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const secured = (op.security ?? []).length > 0;
  return `<section class="op" id="${opId(method, path)}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code class="path">${esc(path)}</code></h3>
<p class="summary">${prose(op.summary)}</p>
${op.description ? `<p>${prose(op.description)}</p>` : ""}
${secured ? '<p class="muted">Needs a bearer token (see <a href="#auth">Authentication</a>).</p>' : ""}
${parametersHtml(op.parameters ?? [])}
${body ? `<h4>Request body${op.requestBody?.required ? ' <span class="req">required</span>' : ""}</h4>${bodyHtml(body, doc)}` : ""}
<h4>Example</h4><pre class="curl"><code>${esc(curlExample(method, path, op, doc))}</code></pre>
${responsesHtml(op, doc)}
</section>`;
}

interface Listed {
  method: string;
  path: string;
  op: Operation;
}

function byTag(doc: OpenApiDocument): Map<string, Listed[]> {
  const tags = new Map<string, Listed[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const tag = op.tags?.[0] ?? "Other";
      tags.set(tag, [...(tags.get(tag) ?? []), { method, path, op }]);
    }
  }
  return tags;
}

function errorsTable(): string {
  const rows = (Object.keys(ERROR_STATUS) as ErrorCode[]).map(
    (code) =>
      `<tr id="error-${esc(code)}"><td>${ERROR_STATUS[code]}</td><td><code>${esc(code)}</code></td><td>${prose(ERROR_DESCRIPTIONS[code])}</td></tr>`,
  );
  return `<div class="scroll"><table><thead><tr><th>Status</th><th>Code</th><th>Meaning</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** The whole reference as one HTML page; its stylesheet is served beside it (DOCS_CSS). */
export function renderDocs(doc: OpenApiDocument, stylesheet: string): string {
  const tags = byTag(doc);
  const nav = [...tags]
    .map(
      ([tag, ops]) =>
        `<li><a href="#tag-${esc(slug(tag))}">${esc(tag)}</a><ul>${ops
          .map(
            ({ method, path, op }) =>
              `<li><a href="#${opId(method, path)}"><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> ${esc(op.summary ?? path)}</a></li>`,
          )
          .join("")}</ul></li>`,
    )
    .join("");
  const sections = [...tags]
    .map(
      ([tag, ops]) =>
        `<section class="tag" id="tag-${esc(slug(tag))}"><h2>${esc(tag)}</h2>${ops
          .map(({ method, path, op }) => operationHtml(method, path, op, doc))
          .join("")}</section>`,
    )
    .join("");
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, s]) =>
        `<section class="op" id="schema-${esc(slug(name))}"><h3><code>${esc(name)}</code></h3>${
          s.description ? `<p>${prose(s.description)}</p>` : ""
        }${schemaHtml(s)}</section>`,
    )
    .join("");
  const contents = `<ul><li><a href="#auth">Authentication</a></li><li><a href="#errors">Errors</a></li>${nav}<li><a href="#schemas">Schemas</a></li></ul>`;
  const bearer = doc.components?.securitySchemes?.bearer;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${esc(stylesheet)}">
</head>
<body>
<a class="skip" href="#main">Skip to the reference</a>
<header class="top"><strong>${esc(doc.info.title)}</strong> <span class="muted">API ${esc(doc.info.version)}</span>
<nav aria-label="Elsewhere"><a href="/">Home</a> <a href="/app">Billing page</a> <a href="/openapi.json">openapi.json</a></nav></header>
<div class="layout">
<nav class="side" aria-label="Contents"><details class="narrow"><summary>Contents</summary>${contents}</details><div class="wide">${contents}</div></nav>
<main id="main">
<h1>${esc(doc.info.title)} API reference</h1>
<p>${prose(doc.info.description)}</p>
<p class="muted">Generated from <a href="/openapi.json">the OpenAPI document</a> that the routes are built from, so it matches what the service answers.</p>
<p>Every operation has an example request for <code>npm start</code> (at <code>${esc(EXAMPLE_ORIGIN)}</code>), run from the project's directory: it mints its token with <code>npm run token</code> for workspace <code>${esc(EXAMPLE_WORKSPACE)}</code>. Give the workspace a plan first (the <code>PUT …/subscription</code> example), and use the ids your own calls created where an example names one.</p>
<section id="auth"><h2>Authentication</h2>
<p>Every <code>/v1</code> call sends <code>Authorization: Bearer &lt;token&gt;</code>. ${prose(bearer?.description)}</p>
<p>Roles: <code>platform</code> (every workspace, every call), <code>admin</code> (its workspace: feature limits, agents, reads), <code>service</code> (its workspace: checks, spends, reservations, entity and channel events), <code>viewer</code> (its workspace: reads).</p></section>
<section id="errors"><h2>Errors</h2>
<p>Every error answers <code>{ "error": { "code": "…", "message": "…", "details": … } }</code>; <code>details</code> lists the failing fields of an <code>invalid_request</code>. A refused check is not an error: it is a 200 decision with <code>allowed: false</code>, a <code>reason</code> and a <code>message</code>. A wrong method on a known path answers 405 with an <code>Allow</code> header.</p>
${errorsTable()}</section>
${sections}
<section id="schemas"><h2>Schemas</h2>${schemas}</section>
</main>
</div>
</body>
</html>`;
}

export const DOCS_CSS = `
:root { --ink:#1d2433; --muted:#5d6577; --line:#e3e6ee; --bg:#f6f7fb; --card:#fff; --accent:#2450d8; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); overflow-wrap:anywhere; }
a { color:var(--accent); }
code { font:13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:#eef0f6; padding:1px 4px; border-radius:4px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:2; }
.top { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:baseline; padding:12px 20px; background:var(--card); border-bottom:1px solid var(--line); }
.top nav { margin-left:auto; display:flex; gap:14px; }
.layout { display:grid; grid-template-columns: 300px minmax(0, 1fr); max-width:1280px; margin:0 auto; }
.side { position:sticky; top:0; align-self:start; max-height:100vh; overflow:auto; padding:16px; border-right:1px solid var(--line); font-size:14px; }
.side summary { font-weight:600; cursor:pointer; padding:4px 0; }
.side .narrow { display:none; }
.side ul { list-style:none; padding-left:0; margin:4px 0; } .side ul ul { padding-left:10px; }
.side li { margin:3px 0; } .side a { text-decoration:none; color:var(--ink); } .side a:hover { color:var(--accent); }
main { padding:20px 28px 60px; min-width:0; }
h1 { font-size:26px; margin:8px 0 12px; } h2 { font-size:21px; margin:36px 0 8px; padding-top:8px; border-top:1px solid var(--line); }
h3 { font-size:16px; margin:0 0 6px; display:flex; flex-wrap:wrap; gap:6px; align-items:center; } h4 { font-size:14px; margin:14px 0 4px; }
.op { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; margin:14px 0; }
.summary { font-weight:500; margin:4px 0; }
.method { display:inline-block; min-width:54px; text-align:center; font:600 11px/1.8 ui-monospace, monospace; border-radius:4px; color:#fff; background:#6b7385; padding:0 6px; }
.method.get { background:#1f7a55; } .method.post { background:#2450d8; } .method.put { background:#9a5b00; } .method.delete { background:#b42318; }
.path { background:none; padding:0; font-size:14px; }
.muted { color:var(--muted); } .req { color:#b42318; font-size:12px; } .type { color:#5b3fb0; }
.fields { list-style:none; padding-left:14px; border-left:2px solid var(--line); margin:6px 0; }
.fields li { margin:6px 0; } .desc { color:var(--muted); font-size:14px; }
.scroll { overflow-x:auto; }
.scroll table { overflow-wrap:normal; }
table { border-collapse:collapse; width:100%; font-size:14px; } th, td { text-align:left; vertical-align:top; padding:6px 8px; border-bottom:1px solid var(--line); }
.errors { padding-left:18px; } .status { font-weight:600; }
pre.curl { margin:6px 0; padding:10px 12px; background:#1d2433; color:#f2f4f8; border-radius:8px; overflow-x:auto; }
pre.curl code { background:none; color:inherit; padding:0; white-space:pre; }
:target { outline:2px solid var(--accent); outline-offset:2px; }
@media (max-width: 800px) {
  .layout { grid-template-columns: minmax(0, 1fr); }
  .side { position:static; max-height:none; border-right:0; border-bottom:1px solid var(--line); }
  .side .narrow { display:block; } .side .wide { display:none; }
  main { padding:12px 14px 40px; }
  .top nav { margin-left:0; }
}
`;

/** The home page (GET /) shares the reference's stylesheet. */
export const HOME_CSS = `
.home { max-width:720px; margin:0 auto; padding:32px 16px; }
.home h2.plain { border:0; margin:0 0 4px; padding:0; font-size:18px; }
`;
