/**
 * Past periods' statements on the Manage credits tab (docs/history.md): a table of the closed
 * periods, newest first, each with a CSV download, for admins and viewers alike (reading them
 * changes nothing).
 */
import type { StatementList } from "./api";
import type { Card } from "./cards";
import { h } from "./dom";
import { day, num } from "./format";
import { detail } from "./view";
import { planName } from "./words";

type Statement = StatementList["statements"][number];

/** What the card needs: the statements, and how to fetch one as CSV. */
export interface StatementsData {
  statements: StatementList;
  statementCsv: (periodStart: string) => Promise<string>;
}

const COLUMNS: { label: string; key: string; numeric: boolean; cell(s: Statement): string }[] = [
  {
    label: "Period",
    key: "period",
    numeric: false,
    cell: (s) => `${day(s.periodStart)} – ${day(s.periodEnd)}`,
  },
  {
    label: "Plan",
    key: "plan",
    numeric: false,
    cell: (s) => `${planName(s.plan)} × ${num(s.seats)}`,
  },
  { label: "Balance", key: "balance", numeric: true, cell: (s) => num(s.balance) },
  { label: "Used", key: "used", numeric: true, cell: (s) => num(s.used) },
  { label: "Expired", key: "expired", numeric: true, cell: (s) => num(s.expiredCredits) },
  { label: "Overrun", key: "overrun", numeric: true, cell: (s) => num(s.overrun) },
];

/** Saves a statement's CSV as a file: fetched with the token, so no link can carry it. */
async function download(data: StatementsData, s: Statement, button: HTMLButtonElement) {
  button.disabled = true;
  try {
    const csv = await data.statementCsv(s.periodStart);
    // A data: URL (a statement is a few dozen lines): the page then reaches nothing but the Worker.
    const href = `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`;
    h("a", { href, download: `statement-${s.periodStart.slice(0, 10)}.csv` }).click();
  } finally {
    button.disabled = false;
  }
}

export const statementsCard: Card<StatementsData> = (data) => {
  const rows = data.statements.statements;
  return h(
    "section",
    { class: "card", "aria-labelledby": "statements-title", id: "statements" },
    h("h2", { id: "statements-title" }, "Past periods"),
    rows.length === 0
      ? detail("No period has closed yet: its statement appears here once it renews.")
      : h(
          "table",
          { class: "statements" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              COLUMNS.map((c) =>
                h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label),
              ),
              h("th", { scope: "col" }, "CSV"),
            ),
          ),
          h(
            "tbody",
            null,
            rows.map((s) => {
              const button = h(
                "button",
                {
                  type: "button",
                  "aria-label": `Download the statement of ${day(s.periodStart)} as CSV`,
                },
                "Download",
              );
              button.addEventListener("click", () => void download(data, s, button));
              return h(
                "tr",
                { "data-period": s.periodStart },
                COLUMNS.map((c) =>
                  h(
                    "td",
                    {
                      class: c.numeric ? "num" : null,
                      "data-column": c.key,
                      "data-label": c.label,
                    },
                    c.cell(s),
                  ),
                ),
                h("td", { "data-label": "CSV" }, button),
              );
            }),
          ),
        ),
    detail(
      "Each period's figures are fixed when it closes; used and expired credits equal the ledger's.",
    ),
  );
};
