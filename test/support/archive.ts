import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { fromMetadata, type Manifest } from "../../src/policy/archive";
import { decode } from "../../src/workspace/archive/files";
import type { WorkspaceObject } from "../../src/workspace/object";

/** Every archived file of a workspace, with its manifest (from the listing) and its rows. */
export async function archivedFiles(ws: string, kind?: "ledger" | "events") {
  const files: { manifest: Manifest; rows: Record<string, unknown>[] }[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.ARCHIVE.list({
      prefix: `archive/${ws}/${kind ?? ""}`,
      include: ["customMetadata"],
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const object of page.objects) {
      const manifest = fromMetadata(object.customMetadata);
      const body = await env.ARCHIVE.get(object.key);
      if (manifest === undefined || body === null) throw new Error(`${object.key}: no manifest`);
      const rows = (await decode(await body.arrayBuffer())) as Record<string, unknown>[];
      files.push({ manifest, rows });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return files;
}

/** The object's raw ledger: sequence, instant and credits of every entry it holds. */
export const rawLedger = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_: WorkspaceObject, state) =>
    state.storage.sql
      .exec<{
        id: number;
        at: number;
        kind: string;
        credits: number;
        feature: string | null;
        period_start: number;
      }>("SELECT id, at, kind, credits, feature, period_start FROM credit_ledger ORDER BY id")
      .toArray(),
  );

/** A bucket that fails as told: every call throws, or writes that never confirm. */
export function failingBucket(mode: "throws" | "unconfirmed"): R2Bucket {
  const real = env.ARCHIVE;
  if (mode === "throws") {
    const boom = () => Promise.reject(new Error("R2 unavailable"));
    return { put: boom, get: boom, head: boom, list: boom, delete: boom } as unknown as R2Bucket;
  }
  // The write lands but is never confirmed: R2 answers no checksum and the read-back finds
  // nothing (an eventually consistent replica, or a lost write).
  return {
    put: async (...args: Parameters<R2Bucket["put"]>) => {
      await real.put(...args);
      return { checksums: {} } as R2Object;
    },
    get: async () => null,
    head: async () => null,
    list: (...args: Parameters<R2Bucket["list"]>) => real.list(...args),
    delete: (...args: Parameters<R2Bucket["delete"]>) => real.delete(...args),
  } as unknown as R2Bucket;
}

/**
 * A Pro workspace of 3 seats with a balance no test spends (100,000 credits a seat), its clock
 * frozen at `at`: the history tests' workspace (archive and roll-ups).
 */
export async function subscribedForHistory(ws: string, at: number) {
  const stub = env.WORKSPACE.getByName(ws);
  expect(await stub.setTestClock(at)).toMatchObject({ ok: true });
  const sub = await stub.putSubscription(
    ws,
    {
      plan: "pro",
      seats: 3,
      periodAnchor: "2026-01-15T00:00:00Z",
      overrides: { aiCreditsPerSeat: 100_000 },
    },
    { role: "platform" },
  );
  expect(sub.ok).toBe(true);
  return stub;
}
