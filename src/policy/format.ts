import { type Instant, iso } from "./time";

// How the policy's messages write numbers and instants. Every check's answer carries a message
// built from these (docs/benchmarks.md, the hot path), so they avoid work that repeats.

/**
 * A whole number with thousands separators: `12,500`. Most figures are below 1,000. Grouped by
 * slices rather than a regular expression: each check's message writes two or three.
 */
export const grouped = (n: number): string => {
  if (n > -1000 && n < 1000) return String(n);
  if (!Number.isSafeInteger(n)) return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const digits = String(Math.abs(n));
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
};

/** A date a person reads: `2026-08-15 00:00 UTC`. */
export const humanInstant = (at: Instant): string => {
  const s = iso(at);
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
};
