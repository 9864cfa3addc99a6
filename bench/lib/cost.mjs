// What a call costs at Cloudflare's published prices.
import { round } from "./stats.mjs";

/**
 * Cloudflare's published prices (Workers Paid plan), beyond the included monthly amounts, as
 * read from developers.cloudflare.com on 2026-11-21:
 *   https://developers.cloudflare.com/workers/platform/pricing/          (Workers Standard)
 *   https://developers.cloudflare.com/durable-objects/platform/pricing/  (compute and SQLite storage)
 */
export const PRICES = {
  asOf: "2026-11-21",
  sources: [
    "https://developers.cloudflare.com/workers/platform/pricing/",
    "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  ],
  workerRequestsPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestsPerMillion: 0.15,
  doDurationPerMillionGbS: 12.5,
  doDurationGb: 0.125,
  rowsReadPerMillion: 0.001,
  rowsWrittenPerMillion: 1.0,
};

/** USD per million calls beyond the included amounts: one Worker request and one object call. */
export function costPerMillion(sql, cpuMsPerRequest, activeMs) {
  const p = PRICES;
  const parts = {
    workerRequests: p.workerRequestsPerMillion,
    workerCpu: cpuMsPerRequest * p.workerCpuPerMillionMs,
    objectRequests: p.doRequestsPerMillion,
    objectDuration: (activeMs / 1000) * p.doDurationGb * p.doDurationPerMillionGbS,
    rowsRead: sql.rowsRead * p.rowsReadPerMillion,
    rowsWritten: sql.rowsWritten * p.rowsWrittenPerMillion,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return {
    total: round(total, 4),
    parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v, 5)])),
  };
}
