// Small helpers for the benches' figures.

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** Count, mean, p50, p99 and max of samples in ms, rounded to `digits` decimals. */
export function summary(samplesMs, digits = 2) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    meanMs: +mean.toFixed(digits),
    p50Ms: +at(0.5).toFixed(digits),
    p99Ms: +at(0.99).toFixed(digits),
    maxMs: +s[s.length - 1].toFixed(digits),
  };
}
