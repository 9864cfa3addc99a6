import { env } from "cloudflare:test";
import { exportKey, exportManifestKey } from "../../src/policy/exports";

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
