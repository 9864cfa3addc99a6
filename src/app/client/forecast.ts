/**
 * The forecast in words, on the Manage credits tab's usage card: when the credits run out at the
 * rate they are going (GET credits `forecast`, from the daily roll-ups; docs/budgets.md), or
 * that they last until they renew.
 */
import type { Credits } from "./api";
import { h } from "./dom";
import { dayShort, num } from "./format";
import { consequence, detail } from "./view";

const DAY_MS = 86_400_000;
const WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

/** Whole calendar days (UTC) from one instant's day to another's. */
const calendarDays = (fromIso: string, toIso: string): number =>
  Math.floor(Date.parse(toIso) / DAY_MS) - Math.floor(Date.parse(fromIso) / DAY_MS);

/** "six days before", "the day before", "hours before": how long before the renewal. */
function before(exhaustsAt: string, renewsAt: string): string {
  const n = calendarDays(exhaustsAt, renewsAt);
  if (n <= 0) return "hours before";
  if (n === 1) return "the day before";
  return `${WORDS[n] ?? num(n)} days before`;
}

const rateWords = (c: Credits): string =>
  `${num(c.forecast.dailyRate)} credits a day over ${
    c.forecast.basis === "last7Days" ? "the last 7 days" : "the period so far"
  }`;

/** The sentence, or nothing when the credits are already used up (the card says so). */
export function forecastLine(c: Credits): HTMLElement | null {
  const f = c.forecast;
  if (c.remaining <= 0) return null;
  const renews = dayShort(c.nextResetAt);
  if (f.exhaustsAt === null) {
    return h(
      "div",
      { id: "credits-forecast" },
      detail(
        f.dailyRate > 0
          ? `At this rate your credits last until they renew on ${renews} (${rateWords(c)}).`
          : `No credits used lately: your credits last until they renew on ${renews}.`,
      ),
    );
  }
  return h(
    "div",
    { id: "credits-forecast" },
    consequence(
      true,
      "At this rate your credits run out on ",
      h("strong", null, dayShort(f.exhaustsAt)),
      `, ${before(f.exhaustsAt, c.nextResetAt)} they renew (${rateWords(c)}). Add credits before AI features stop.`,
    ),
  );
}
