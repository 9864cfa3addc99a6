import { type Instant, iso } from "./time";

// How the policy's messages write numbers and instants. Every check's answer carries a message
// built from these (docs/benchmarks.md, the hot path), so they avoid work that repeats.

/** A whole number with thousands separators: `12,500`. Most figures are below 1,000. */
export const grouped = (n: number): string =>
  n > -1000 && n < 1000 ? String(n) : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** A date a person reads: `2026-08-15 00:00 UTC`. */
export const humanInstant = (at: Instant): string => {
  const s = iso(at);
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
};
