import { SELF } from "cloudflare:test";
import { type Schema, Validator } from "@cfworker/json-schema";

/**
 * Checks an answer against the OpenAPI document the Worker serves: the typed client trusts the
 * document, so every 2xx JSON body a test sees must be exactly what its operation documents —
 * the right types, every required field, and no field the document does not declare.
 * `call()` in helpers.ts runs it on every answer; a mismatch fails the test.
 */

const BASE = "https://quota.test/openapi.json";

type Json = Record<string, unknown>;
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json> };
}

let served: Promise<Document> | undefined;
const validators = new Map<string, Validator>();

function documentServed(): Promise<Document> {
  served ??= SELF.fetch(BASE).then(async (r) => {
    if (r.status !== 200) throw new Error(`GET /openapi.json answered ${r.status}`);
    return (await r.json()) as Document;
  });
  return served;
}

/** The documented path a concrete path is an instance of: the one with the most literal parts. */
function templateOf(doc: Document, pathname: string): string | undefined {
  const parts = pathname.split("/");
  let best: { template: string; literals: number } | undefined;
  for (const template of Object.keys(doc.paths)) {
    const pattern = template.split("/");
    if (pattern.length !== parts.length) continue;
    let literals = 0;
    const matches = pattern.every((segment, i) => {
      if (/^\{\w+\}$/.test(segment)) return (parts[i] ?? "") !== "";
      literals++;
      return segment === parts[i];
    });
    if (matches && (best === undefined || literals > best.literals)) best = { template, literals };
  }
  return best?.template;
}

const pointer = (...segments: string[]) =>
  segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

function resolved(doc: Document, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  const target = name === undefined ? undefined : doc.components.schemas[name];
  if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return resolved(doc, target);
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Fields of `value` that `schema` does not declare, by path. JSON Schema lets an object carry
 * any undeclared field unless told otherwise, and zod's documents do not say otherwise, so
 * this walks the value beside its schema (through $ref, allOf, anyOf, oneOf and items).
 */
function undeclared(doc: Document, value: unknown, schemas: Json[], at: string): string[] {
  const branches: Json[] = [];
  const expand = (schema: Json) => {
    const s = resolved(doc, schema);
    branches.push(s);
    for (const key of ["allOf", "anyOf", "oneOf"]) {
      for (const sub of (s[key] as Json[] | undefined) ?? []) expand(sub);
    }
  };
  for (const schema of schemas) expand(schema);

  if (Array.isArray(value)) {
    const items = branches.flatMap((s) => (isObject(s.items) ? [s.items] : []));
    return items.length === 0
      ? []
      : value.flatMap((item, i) => undeclared(doc, item, items, `${at}[${i}]`));
  }
  if (!isObject(value)) return [];
  // An object schema that lists no properties (a record, or anything) declares every field.
  const open = branches.some(
    (s) => s.additionalProperties !== undefined && s.additionalProperties !== false,
  );
  const declared = new Map<string, Json[]>();
  for (const s of branches) {
    for (const [name, sub] of Object.entries((s.properties as Json | undefined) ?? {})) {
      declared.set(name, [...(declared.get(name) ?? []), sub as Json]);
    }
  }
  if (declared.size === 0) return [];
  return Object.entries(value).flatMap(([name, field]) => {
    const subs = declared.get(name);
    if (subs === undefined) return open ? [] : [`${at}.${name}`];
    return undeclared(doc, field, subs, `${at}.${name}`);
  });
}

function validatorFor(doc: Document, template: string, method: string, status: string): Validator {
  const key = `${method} ${template} ${status}`;
  let validator = validators.get(key);
  if (validator === undefined) {
    const ref = `${BASE}#/${pointer("paths", template, method, "responses", status, "content", "application/json", "schema")}`;
    validator = new Validator({ $ref: ref }, "2020-12", false);
    validator.addSchema(doc as unknown as Schema, BASE);
    validators.set(key, validator);
  }
  return validator;
}

/** Fails (throws) when a 2xx JSON answer of a /v1 route is not what its operation documents. */
export async function checkAnswerAgainstOpenApi(
  method: string,
  path: string,
  status: number,
  body: unknown,
): Promise<void> {
  if (status < 200 || status > 299) return;
  const { pathname } = new URL(path, BASE);
  if (!pathname.startsWith("/v1/")) return;
  const doc = await documentServed();
  const template = templateOf(doc, pathname);
  const verb = method.toLowerCase();
  const response =
    template === undefined ? undefined : doc.paths[template]?.[verb]?.responses[String(status)];
  const content = (response?.content as Json | undefined)?.["application/json"] as Json | undefined;
  if (template === undefined || !isObject(content?.schema)) {
    throw new Error(
      `${method} ${pathname} answered ${status}, which the OpenAPI document does not describe`,
    );
  }
  const result = validatorFor(doc, template, verb, String(status)).validate(body);
  // The leaf errors say what is wrong; the $ref/properties/allOf ones only say where.
  const leaves = result.errors.filter((e) => !["$ref", "properties", "allOf"].includes(e.keyword));
  const problems = (leaves.length > 0 ? leaves : result.errors).map(
    (e) => `${e.instanceLocation}: ${e.error}`,
  );
  problems.push(
    ...undeclared(doc, body, [content.schema], "$").map((p) => `${p}: is not in the document`),
  );
  if (problems.length > 0) {
    throw new Error(
      `${method} ${pathname} answered ${status} with a body that breaks its OpenAPI schema (${template}):\n  ${problems.join("\n  ")}`,
    );
  }
}
