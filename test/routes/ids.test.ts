import { describe, expect, it } from "vitest";
import {
  api,
  type CallOptions,
  call,
  freshWorkspace,
  setClock,
  subscribe,
} from "../support/helpers";

/**
 * Every id a client creates must be nameable in a path (docs/rules.md, "Answers, errors and
 * callers"): `.` and `..` are dot-segments, which URL parsers remove, so they are refused at
 * creation with a 400 naming the field; every other printable id goes through a path
 * percent-encoded, and reads back as itself.
 */

async function workspace() {
  const ws = freshWorkspace("ids");
  await setClock(ws, "2026-07-20T00:00:00.000Z");
  const sub = await subscribe(ws, {
    plan: "pro",
    seats: 1,
    periodAnchor: "2026-07-15T00:00:00.000Z",
  });
  expect(sub.status).toBe(200);
  return ws;
}

interface Creation {
  /** The field the 400 names. */
  field: string;
  create: (ws: string, id: string) => [method: string, path: string, opts: CallOptions];
  /** A call through a path naming the id, answering it as `id`; none for packages. */
  byPath?: (ws: string, encoded: string) => [method: string, path: string, opts: CallOptions];
}

const ENTITY_KINDS = ["leads", "contacts", "companies"] as const;
const CHANNEL_KINDS = ["whatsapp", "instagram"] as const;

const CREATIONS: [string, Creation][] = [
  ...ENTITY_KINDS.flatMap((kind): [string, Creation][] => [
    [
      `create ${kind}`,
      {
        field: "id",
        create: (ws, id) => ["POST", `${api(ws)}/entities/${kind}`, { body: { id } }],
        byPath: (ws, id) => ["GET", `${api(ws)}/entities/${kind}/${id}`, {}],
      },
    ],
    [
      `batch ${kind}`,
      {
        field: "ids.1",
        create: (ws, id) => [
          "POST",
          `${api(ws)}/entities/${kind}/batch`,
          { body: { ids: [`fine-${kind}`, id] } },
        ],
      },
    ],
  ]),
  ...CHANNEL_KINDS.flatMap((kind): [string, Creation][] => [
    [
      `connect ${kind}`,
      {
        field: "id",
        create: (ws, id) => ["POST", `${api(ws)}/channels/${kind}`, { body: { id } }],
        byPath: (ws, id) => ["DELETE", `${api(ws)}/channels/${kind}/${id}`, {}],
      },
    ],
    [
      `batch ${kind}`,
      {
        field: "channels.1.id",
        create: (ws, id) => [
          "POST",
          `${api(ws)}/channels/${kind}/batch`,
          { body: { channels: [{ id: `fine-${kind}` }, { id }] } },
        ],
      },
    ],
  ]),
  [
    "create agent",
    {
      field: "id",
      create: (ws, id) => ["POST", `${api(ws)}/agents`, { body: { id, name: "An agent" } }],
      byPath: (ws, id) => ["DELETE", `${api(ws)}/agents/${id}`, {}],
    },
  ],
  [
    "post credit package",
    {
      field: "id",
      create: (ws, id) => [
        "POST",
        `${api(ws)}/credit-packages`,
        { body: { id, credits: 10, expiresAt: "2027-01-01T00:00:00.000Z" } },
      ],
    },
  ],
];

/** Everything a creation could change, read back. */
async function snapshot(ws: string) {
  const [usage, credits, agents, whatsapp, instagram] = await Promise.all(
    [
      `${api(ws)}/usage`,
      `${api(ws)}/credits`,
      `${api(ws)}/agents`,
      `${api(ws)}/channels/whatsapp`,
      `${api(ws)}/channels/instagram`,
    ].map(async (path) => (await call("GET", path)).json),
  );
  return { usage, credits, agents, whatsapp, instagram };
}

describe("ids a path cannot name are refused at creation", () => {
  it.each(CREATIONS.flatMap(([what, c]) => [".", ".."].map((id) => [what, id, c] as const)))(
    "%s with id %j is a 400 naming the field, and creates nothing",
    async (_, id, { field, create }) => {
      const ws = await workspace();
      const before = await snapshot(ws);
      const r = await call(...create(ws, id));
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details).toEqual([
        { path: field, message: expect.stringContaining("not . or ..") },
      ]);
      expect(await snapshot(ws)).toEqual(before);
    },
  );

  it("says so in the OpenAPI document, in every schema a client creates ids with", async () => {
    const { json: doc } = await call("GET", "/openapi.json", { token: "" });
    const schemas = doc.components.schemas;
    const ids = [
      schemas.CreateEntityInput.properties.id,
      schemas.EntityBatchInput.properties.ids.items,
      schemas.ConnectChannelInput.properties.id,
      schemas.AgentInput.properties.id,
      schemas.CreditPackageInput.properties.id,
    ];
    for (const schema of ids) {
      const pattern = new RegExp(schema.pattern);
      expect([".", ".."].filter((id) => pattern.test(id))).toEqual([]);
      expect(["a", ".a", "...", "a.", "/", "%"].every((id) => pattern.test(id))).toBe(true);
      expect(schema.description).toContain("not `.` or `..`");
    }
  });
});

describe("every other id goes through a path, percent-encoded", () => {
  // The characters a path treats specially, and dots that are not whole segments.
  const IDS = ["...", ".a", "a.", "a/b", "a?b", "a#b", "100%", "%2e", "%2E%2E", "a\\b", "/", "?"];
  it.each(CREATIONS.filter(([, c]) => c.byPath !== undefined))(
    "%s: created, then named by its path",
    async (_, { create, byPath }) => {
      const ws = await workspace();
      for (const id of IDS) {
        const made = await call(...create(ws, id));
        expect(made.status, id).toBe(200);
        const named = await call(...(byPath?.(ws, encodeURIComponent(id)) ?? create(ws, id)));
        expect(named.status, id).toBe(200);
        expect(named.json.id ?? named.json.agent?.id, id).toBe(id);
      }
    },
  );
});
