import fc from "fast-check";

/**
 * fast-check arbitraries from the served OpenAPI document's JSON Schemas (the zod request
 * schemas as the Worker publishes them): values of the documented shape, and values with one
 * defect each (a required field dropped, an unknown field, a field of the wrong type or out of
 * range, a hostile string). Generated from the document, so a new route or field is fuzzed
 * without editing the test. (zod-fast-check does not support zod 4.)
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is walked generically
export type Schema = Record<string, any>;

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  roles?: string[];
}

export interface Document {
  paths: Record<string, Record<string, Schema>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Every operation of the document under /v1/, with its parameters and JSON body schema. */
export function operations(doc: Document): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/v1/")) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "put", "post", "delete", "patch"].includes(method)) continue;
      // The live socket (a ticket, then a WebSocket) has its own tests: test/routes/live.test.ts.
      if (op["x-websocket"] === true) continue;
      const body = op.requestBody?.content?.["application/json"]?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        ...(body !== undefined && { body: resolve(doc, body) }),
        ...(Array.isArray(op["x-roles"]) && { roles: op["x-roles"] as string[] }),
      });
    }
  }
  return ops;
}

export function resolve(doc: Document, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 20 && typeof s.$ref === "string"; i++) {
    const name = s.$ref.replace("#/components/schemas/", "");
    const target = doc.components?.schemas?.[name];
    if (target === undefined) throw new Error(`unresolved ${s.$ref}`);
    s = target;
  }
  return s;
}

const MIN_DATE = new Date("1970-01-01T00:00:00.000Z");
const MAX_DATE = new Date("9999-12-31T23:59:59.999Z");
const INT32 = 2 ** 31 - 1;

function integer(schema: Schema): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum ?? -INT32 - 2) + 1;
  const max = schema.maximum ?? (schema.exclusiveMaximum ?? INT32 + 2) - 1;
  const inner = fc.integer({ min: Math.max(min, -INT32), max: Math.min(max, INT32) });
  // Both bounds themselves, where they lie beyond 32 bits.
  return fc.oneof({ arbitrary: inner, weight: 8 }, fc.constantFrom(min, max));
}

function string(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === "date-time") {
    return fc
      .date({ min: MIN_DATE, max: MAX_DATE, noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 64;
  if (typeof schema.pattern === "string") {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= minLength && s.length <= maxLength);
  }
  return fc.string({ minLength, maxLength: Math.min(maxLength, 64) });
}

/** Values the schema accepts. */
export function valid(doc: Document, raw: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    return fc.oneof(...alternatives.map((s: Schema) => valid(doc, s, depth + 1)));
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((t: string) => valid(doc, { ...schema, type: t }, depth)));
  }
  switch (schema.type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return integer(schema);
    case "number":
      return fc.double({
        min: schema.minimum ?? -1e9,
        max: schema.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case "string":
      return string(schema);
    case "array":
      return fc.array(valid(doc, schema.items ?? {}, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case "object": {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const record = Object.fromEntries(
        Object.entries(properties).map(([k, s]) => [k, valid(doc, s, depth + 1)]),
      );
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return depth > 3 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
}

/** Hostile leaves: wrong types, out-of-range and non-integer numbers, odd strings. */
export const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  [],
  {},
  -1,
  -0.5,
  0.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  "",
  "NaN",
  "Infinity",
  "1",
  " ",
  "x".repeat(5_000),
  "ünïcødé ✓ 😀 \u202e",
  "\u0000",
  "\ud800",
  "../../../etc/passwd",
  "%2e%2e%2f",
  "1970-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "2026-02-30T00:00:00Z",
];

/** A valid value with exactly one defect somewhere in it (or a wholly wrong body). */
export function mutated(doc: Document, raw: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  const whole = fc.constantFrom(...HOSTILE_VALUES);
  if (schema.type !== "object" || depth > 3) return whole;
  const properties: Record<string, Schema> = schema.properties ?? {};
  const names = Object.keys(properties);
  const required: string[] = schema.required ?? [];
  const base = valid(doc, schema, depth) as fc.Arbitrary<Record<string, unknown>>;
  const options: fc.Arbitrary<unknown>[] = [whole];
  if (required.length > 0) {
    options.push(
      fc.tuple(base, fc.constantFrom(...required)).map(([value, name]) => {
        const copy = { ...value };
        delete copy[name];
        return copy;
      }),
    );
  }
  options.push(
    fc
      .tuple(base, fc.constantFrom("unknownField", "__proto__", "constructor", "ID"), whole)
      .map(([value, name, v]) => {
        const copy = { ...value };
        Object.defineProperty(copy, name, { value: v, enumerable: true });
        return copy;
      }),
  );
  if (names.length > 0) {
    options.push(
      fc
        .tuple(base, fc.constantFrom(...names))
        .chain(([value, name]) =>
          fc
            .oneof(whole, mutated(doc, properties[name] as Schema, depth + 1))
            .map((v) => ({ ...value, [name]: v })),
        ),
    );
  }
  return fc.oneof(...options);
}
