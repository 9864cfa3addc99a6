import { env } from "cloudflare:test";
import { dayName, exportKey, exportManifestKey } from "../../src/policy/exports";
import { DAY_MS } from "../../src/policy/time";
import { rawLedger } from "./archive";

/** The lines of a CSV text, each as its cells (RFC 4180: quoted cells, doubled quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** An export's text as the bucket holds it (null: not written). */
export async function exportText(name: string): Promise<string | null> {
  const object = await env.ARCHIVE.get(exportKey(name));
  return object === null ? null : object.text();
}

/** An export's manifest (null: not written). */
export async function exportManifest(name: string): Promise<Record<string, unknown> | null> {
  const object = await env.ARCHIVE.get(exportManifestKey(name));
  return object === null ? null : ((await object.json()) as Record<string, unknown>);
}

/** The ledgers' credits charged (debits and commits) per `ws|day|feature`. */
export async function ledgerSums(wss: readonly string[]): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const ws of wss) {
    for (const e of await rawLedger(ws)) {
      if (e.kind !== "debit" && e.kind !== "commit") continue;
      const key = `${ws}|${dayName(Math.floor(e.at / DAY_MS) * DAY_MS)}|${e.feature}`;
      sums.set(key, (sums.get(key) ?? 0) + e.credits);
    }
  }
  return sums;
}

/**
 * A credits file's lines of these workspaces as `ws|day|feature` → credits (null: no file),
 * checking its header and that no key is on two lines.
 */
export async function creditLines(
  name: string,
  wss: readonly string[],
): Promise<Map<string, number> | null> {
  const text = await exportText(name);
  if (text === null) return null;
  const [header, ...lines] = parseCsv(text);
  if (header?.join(",") !== "workspace,day,feature,credits") throw new Error(`${name}: header`);
  const out = new Map<string, number>();
  for (const [ws, day, feature, credits] of lines) {
    if (!wss.includes(ws as string)) continue;
    const key = `${ws}|${day}|${feature}`;
    if (out.has(key)) throw new Error(`${name}: ${key} on two lines`);
    out.set(key, Number(credits));
  }
  return out;
}

/** Sums of several credits files' lines (a day's file and its corrections add up). */
export async function summedCredits(
  names: readonly string[],
  wss: readonly string[],
): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const name of names) {
    const lines = await creditLines(name, wss);
    if (lines === null) throw new Error(`no file ${name}`);
    for (const [key, n] of lines) sums.set(key, (sums.get(key) ?? 0) + n);
  }
  return sums;
}

/**
 * The Worker's bindings with a fleet index whose batches land but whose answers are lost: a
 * report the index holds while its sender believes it failed (it sends it again, with its
 * number, and the index must add it once).
 */
export function answersLost(): typeof env {
  const db = env.FLEET as D1Database;
  return {
    ...env,
    FLEET: {
      prepare: (query: string) => db.prepare(query),
      batch: async (statements: D1PreparedStatement[]) => {
        await db.batch(statements);
        throw new Error("answer lost");
      },
    },
  } as unknown as typeof env;
}
