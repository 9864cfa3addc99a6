/** The Manage credits tab: usage, the daily chart, the balance, and the feature limits. */
import type { AiFeature } from "../../policy/catalogue";
import { type Credits, type DailyCredits, type FeatureCredits, Problem } from "./api";
import { topupsCard } from "./budgets";
import { type Card, type Column, renderCards } from "./cards";
import { h, svg } from "./dom";
import { forecastLine } from "./forecast";
import { count, day, dayShort, lastDayOf, niceCeiling, num } from "./format";
import { receiptCard, typingReceipt } from "./receipts";
import { type StatementsData, statementsCard } from "./statements";
import { consequence, detail, mayEdit, meter, notice, pill, restoreFocus, state } from "./view";
import { featureName } from "./words";

export interface CreditsData extends StatementsData {
  credits: Credits;
  daily: DailyCredits;
}

/** What the tab needs from the page: reload its figures, or say what went wrong. */
export interface CreditsHost {
  refresh(): Promise<void>;
  showProblem(p: Problem): void;
}

/** The feature whose limit is being edited, and the figures last drawn (to redraw the editor). */
let editing: AiFeature | null = null;
let last: { data: CreditsData; host: CreditsHost } | null = null;

/** Whether a feature's limit is being edited: a pushed figure then waits (the input keeps its text). */
export const isEditing = (): boolean => editing !== null || typingReceipt();

export const stopEditing = (): void => {
  editing = null;
};

// ---- cards -------------------------------------------------------------------------------------

const usageCard: Card<CreditsData> = ({ credits: c }) =>
  h(
    "section",
    { class: "card", "aria-labelledby": "credit-usage-title" },
    h("h2", { id: "credit-usage-title" }, "Credit usage"),
    h(
      "div",
      { class: "usage-head" },
      h("span", { class: "figure", id: "credits-percent" }, `${c.percentUsed.toFixed(1)}%`),
      h("span", null, "used"),
    ),
    meter(c.used, c.monthlyBalance, "Credits used this period", true),
    detail(
      `${num(c.used)} of ${num(c.monthlyBalance)} credits used${
        c.held > 0 ? ` · ${num(c.held)} held by calls in progress` : ""
      } · ${num(c.remaining)} left`,
    ),
    h("p", null, "Next reset: ", h("strong", null, day(c.nextResetAt))),
    forecastLine(c),
    c.remaining <= 0
      ? consequence(
          true,
          h("strong", null, "All credits are used"),
          ": AI features stop until the next reset, unless credits are added.",
        )
      : null,
    detail(
      `Copilot questions about Kommo: ${num(c.copilotQuestions.used)}${
        c.copilotQuestions.limit === null ? " (unlimited)" : ` of ${num(c.copilotQuestions.limit)}`
      } this period.`,
    ),
  );

const chartCard: Card<CreditsData> = ({ daily }) => {
  const used = daily.features.filter((f) => daily.days.some((d) => (d.features[f] ?? 0) > 0));
  const peak = Math.max(0, ...daily.days.map((d) => d.credits));
  const scale = niceCeiling(peak);
  const height = 100;
  const bars: SVGElement[] = [];
  for (let i = 0; i < daily.daysInPeriod; i++) {
    const d = daily.days[i];
    if (d === undefined) {
      // Days still to come: a mark on the baseline, so the period's length shows.
      bars.push(
        svg("rect", { class: "slot", x: i * 10 + 1, y: height - 1.5, width: 8, height: 1.5 }),
      );
      continue;
    }
    const parts = used.filter((f) => (d.features[f] ?? 0) > 0);
    const breakdown = parts.map((f) => `${featureName(f)} ${num(d.features[f] ?? 0)}`).join(", ");
    const g = svg(
      "g",
      { "data-day": d.startsAt },
      svg(
        "title",
        null,
        `${dayShort(d.startsAt)}: ${count(d.credits, "credit", "credits")}${breakdown ? ` (${breakdown})` : ""}`,
      ),
    );
    let y = height;
    for (const f of parts) {
      const barHeight = ((d.features[f] ?? 0) / scale) * height;
      y -= barHeight;
      g.append(
        svg("rect", {
          class: `f-${f}`,
          "data-feature": f,
          x: i * 10 + 1,
          y: y.toFixed(3),
          width: 8,
          height: barHeight.toFixed(3),
        }),
      );
    }
    bars.push(g);
  }
  const chart = svg(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${daily.daysInPeriod * 10} ${height}`,
      preserveAspectRatio: "none",
      role: "img",
      "aria-label": `Daily credit use this period, stacked by feature: ${num(daily.used)} credits so far, at most ${num(peak)} in a day. The figures are in the table below.`,
    },
    bars,
  );
  const table = h(
    "details",
    { class: "figures" },
    h("summary", null, "Daily figures as a table"),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, "Day"),
            h("th", { scope: "col" }, "Credits"),
            used.map((f) => h("th", { scope: "col" }, featureName(f))),
          ),
        ),
        h(
          "tbody",
          null,
          daily.days.map((d) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, dayShort(d.startsAt)),
              h("td", null, num(d.credits)),
              used.map((f) => h("td", null, num(d.features[f] ?? 0))),
            ),
          ),
        ),
      ),
    ),
  );
  return h(
    "section",
    { class: "card", id: "credit-chart", "aria-labelledby": "chart-title" },
    h("h2", { id: "chart-title" }, "Daily credit use"),
    h(
      "div",
      { class: "chart-top" },
      h(
        "span",
        null,
        daily.used > 0
          ? `${num(daily.used)} credits this period`
          : "No credits used yet this period.",
      ),
      h("span", null, `Scale: 0 – ${num(scale)} a day`),
    ),
    chart,
    h(
      "div",
      { class: "chart-axis", "aria-hidden": "true" },
      h("span", null, dayShort(daily.periodStart)),
      h("span", null, dayShort(lastDayOf(daily.nextResetAt))),
    ),
    used.length > 0
      ? h(
          "ul",
          { class: "legend", "aria-label": "Features" },
          used.map((f) =>
            h(
              "li",
              null,
              h("span", { class: `swatch f-${f}`, "aria-hidden": "true" }),
              featureName(f),
            ),
          ),
        )
      : null,
    daily.days.length > 0 ? table : null,
  );
};

const balanceCard: Card<CreditsData> = ({ credits: c }) =>
  h(
    "section",
    { class: "card", "aria-labelledby": "balance-title" },
    h("h2", { id: "balance-title" }, "Monthly balance"),
    h(
      "dl",
      { class: "kv", id: "credits-balance" },
      h("dt", null, "Monthly balance"),
      h("dd", null, num(c.monthlyBalance)),
      h("dt", null, "Included credits (per seat)"),
      h("dd", null, num(c.includedPerSeat)),
      h("dt", null, "Number of seats"),
      h("dd", null, num(c.seats)),
      h("dt", null, "Credit add-on"),
      h("dd", null, num(c.addOnCredits)),
      c.packages.length > 0
        ? h(
            "dd",
            { class: "sub" },
            h(
              "ul",
              null,
              c.packages.map((p) =>
                h(
                  "li",
                  { "data-package": p.id },
                  `${count(p.credits, "credit", "credits")} until ${day(p.expiresAt)} (package ${p.id})`,
                ),
              ),
            ),
          )
        : null,
    ),
  );

// ---- the feature limits table --------------------------------------------------------------------

const limitText = (f: FeatureCredits): string =>
  f.creditLimit === null ? "No limit" : num(f.creditLimit);

const isStopped = (f: FeatureCredits): boolean =>
  f.inPlan && f.creditLimit !== null && f.creditLimit <= f.creditsUsed;

const noEstimate = () => h("span", { "aria-label": "no limit, no estimate" }, "—");

function startEditing(feature: AiFeature): void {
  editing = feature;
  state.focusAfter = "#limit-input";
  redraw();
}

function cancelEditing(feature: AiFeature): void {
  editing = null;
  state.focusAfter = `[data-edit="${feature}"]`;
  redraw();
}

async function saveLimit(feature: AiFeature, raw: string, error: HTMLElement): Promise<void> {
  const text = raw.trim().replace(/[\s,]/g, "");
  if (text !== "" && !/^\d+$/.test(text)) {
    error.textContent = "Enter a whole number of credits, or leave it empty for no limit.";
    return;
  }
  const limit = text === "" ? null : Number(text);
  const host = last?.host;
  if (!host || !state.api) return;
  try {
    await state.api.setFeatureLimit(feature, limit);
  } catch (p) {
    if (p instanceof Problem && p.code === "invalid_request") {
      // The service names the bound it broke (at most 1,000,000,000 credits).
      error.textContent = p.fieldMessages.join(" ") || "Enter a smaller whole number.";
      return;
    }
    if (p instanceof Problem) return host.showProblem(p);
    throw p;
  }
  editing = null;
  state.focusAfter = `[data-edit="${feature}"]`;
  notice(
    limit === null
      ? `${featureName(feature)}: limit removed.`
      : `${featureName(feature)}: limit set to ${count(limit, "credit", "credits")}.`,
  );
  await host.refresh();
}

function limitEditor(f: FeatureCredits): HTMLElement {
  const name = featureName(f.feature);
  const error = h("p", { class: "error", id: "limit-error", role: "alert" });
  const input = h("input", {
    id: "limit-input",
    type: "text",
    inputmode: "numeric",
    autocomplete: "off",
    placeholder: "No limit",
    value: f.creditLimit === null ? "" : String(f.creditLimit),
    "aria-describedby": "limit-hint limit-error",
    on: {
      keydown: (e) => {
        if (e.key !== "Escape") return;
        e.preventDefault();
        cancelEditing(f.feature);
      },
    },
  });
  return h(
    "form",
    {
      class: "limit-form",
      novalidate: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          void saveLimit(f.feature, input.value, error);
        },
      },
    },
    h("label", { for: "limit-input", class: "sr-only" }, `Credit limit for ${name}`),
    input,
    h("button", { type: "submit" }, "Save"),
    h(
      "button",
      { type: "button", class: "ghost", on: { click: () => cancelEditing(f.feature) } },
      "Cancel",
    ),
    h("p", { class: "hint", id: "limit-hint" }, "Empty removes the limit; 0 stops the feature."),
    error,
  );
}

function limitCell(f: FeatureCredits): HTMLElement {
  if (!f.inPlan) return h("span", { class: "muted" }, "Not available");
  if (!mayEdit()) return h("span", null, limitText(f));
  if (editing === f.feature) return limitEditor(f);
  return h(
    "button",
    {
      type: "button",
      class: "limit-edit",
      "data-edit": f.feature,
      "aria-label": `Edit the credit limit of ${featureName(f.feature)} (now ${limitText(f).toLowerCase()})`,
      on: { click: () => startEditing(f.feature) },
    },
    limitText(f),
    h("span", { class: "pencil", "aria-hidden": "true" }, "✎"),
  );
}

/** The feature limits table's columns, in order: add a column here. */
export const FEATURE_COLUMNS: readonly Column<FeatureCredits>[] = [
  {
    key: "feature",
    label: "Feature",
    numeric: false,
    width: "26%",
    cell: (f) => [
      h("span", { class: "feature-name" }, featureName(f.feature)),
      " ",
      f.inPlan ? null : pill("absent", "Not in your plan"),
      isStopped(f) ? pill("stopped", "Stopped") : null,
      isStopped(f)
        ? h(
            "span",
            { class: "detail stop-why" },
            "Its limit is at or below what it used: it stays stopped until the limit is raised or credits renew.",
          )
        : null,
    ],
  },
  {
    key: "used",
    label: "Credits used",
    numeric: true,
    width: "13%",
    cell: (f) => num(f.creditsUsed),
  },
  {
    key: "estimated",
    label: "Estimated requests",
    numeric: true,
    width: "15%",
    // What the limit allows in the whole period: floor(limit / average cost).
    cell: (f) => (f.estimatedRequests === null ? noEstimate() : num(f.estimatedRequests)),
  },
  {
    key: "left",
    label: "Requests left",
    numeric: true,
    width: "14%",
    // What is left of it now: floor(remaining / average cost), the remaining being the limit
    // less what was used and what calls in progress hold (never below 0).
    cell: (f) =>
      f.creditsRemaining === null
        ? noEstimate()
        : num(Math.floor(Math.max(0, f.creditsRemaining) / f.averageCost)),
  },
  {
    key: "limit",
    label: "Credit limit",
    numeric: true,
    width: "32%",
    cell: (f) => h("div", { class: "limit-cell" }, limitCell(f)),
  },
];

function featureTable(features: readonly FeatureCredits[]): HTMLElement {
  const cols = FEATURE_COLUMNS.map((c) => {
    const col = h("col", { "data-column": c.key });
    // CSSOM, not a style attribute: the CSP allows no inline style.
    col.style.width = c.width;
    return col;
  });
  return h(
    "table",
    { class: "features" },
    h("colgroup", null, cols),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        FEATURE_COLUMNS.map((c) =>
          h("th", { scope: "col", class: c.numeric ? "num" : null, "data-column": c.key }, c.label),
        ),
      ),
    ),
    h(
      "tbody",
      { id: "features" },
      features.map((f) =>
        h(
          "tr",
          { "data-feature": f.feature, class: f.inPlan ? null : "absent" },
          FEATURE_COLUMNS.map((c) =>
            h(
              "td",
              { class: c.numeric ? "num" : null, "data-column": c.key, "data-label": c.label },
              c.cell(f),
            ),
          ),
        ),
      ),
    ),
  );
}

const limitsCard: Card<CreditsData> = ({ credits }) =>
  h(
    "section",
    { class: "card", "aria-labelledby": "limits-title" },
    h("h2", { id: "limits-title" }, "Feature limits"),
    detail(
      "A limit caps what one feature may use this period. It reserves nothing: every feature draws from the same balance, first come, first served. Estimated requests are what the limit allows at the feature's average cost; requests left, what remains of it now.",
      mayEdit() ? " Use the pencil to set or remove a limit." : " Only an admin can change limits.",
    ),
    featureTable(credits.features),
  );

/** The Manage credits tab's cards, in order: add a card here. */
export const CREDIT_CARDS: readonly Card<CreditsData>[] = [
  usageCard,
  chartCard,
  balanceCard,
  topupsCard,
  limitsCard,
  statementsCard,
];

function redraw(): void {
  if (!last) return;
  const panel = document.getElementById("panel-credits");
  const receipts = receiptCard();
  panel?.replaceChildren(...renderCards(CREDIT_CARDS, last.data), ...(receipts ? [receipts] : []));
  restoreFocus();
}

/**
 * Draws the tab. A push carries the live figures only (credits, daily): past periods' statements
 * change only at a renewal, which reloads the page, so they are kept from the last full draw.
 */
export function renderCredits(
  data: Omit<CreditsData, keyof StatementsData> & Partial<StatementsData>,
  host: CreditsHost,
): void {
  const statements = data.statements ?? last?.data.statements;
  const statementCsv = data.statementCsv ?? last?.data.statementCsv;
  if (statements === undefined || statementCsv === undefined) return;
  last = { data: { ...data, statements, statementCsv }, host };
  redraw();
}
