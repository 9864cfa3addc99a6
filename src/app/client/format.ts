/** Numbers, dates and durations as people read them (dates in UTC, like the API's periods). */

const numberFormat = new Intl.NumberFormat();
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const shortDate = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

export const num = (n: number): string => numberFormat.format(n);
export const day = (iso: string): string => dateFormat.format(new Date(iso));
export const dayShort = (iso: string): string => shortDate.format(new Date(iso));
export const when = (iso: string): string => `${dateTimeFormat.format(new Date(iso))} UTC`;
export const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);
export const count = (n: number, one: string, many: string): string =>
  `${num(n)} ${plural(n, one, many)}`;

/** 1, 2 or 5 times a power of ten, at least n: a chart's scale. */
export function niceCeiling(n: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, n)));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= n) ?? 10 * p;
}

/** The last instant of a period that ends (exclusive) at `endIso`, for "Jul 15 – Aug 14". */
export const lastDayOf = (endIso: string): string => new Date(Date.parse(endIso) - 1).toISOString();

/** "5 h 12 min", "2 d 3 h", "12 min": whole minutes, rounded up (it is at most that long). */
export function duration(ms: number): string {
  if (ms <= 0) return "moments";
  const minutes = Math.ceil(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const min = minutes % 60;
  if (d > 0) return `${d} d${hours > 0 ? ` ${hours} h` : ""}`;
  if (hours > 0) return `${hours} h${min > 0 ? ` ${min} min` : ""}`;
  return `${min} min`;
}
