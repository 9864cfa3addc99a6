/**
 * A period statement as CSV for finance (docs/history.md): one `section,item,value` line per
 * figure, in the order of the JSON answer. Pure, so the route and the daily export write the
 * same file from the same statement.
 */
export interface StatementFigures {
  periodStart: string;
  periodEnd: string;
  closedAt: string;
  plan: string;
  seats: number;
  includedCredits: number;
  packages: readonly { id: string; credits: number }[];
  openingBalance: number;
  balance: number;
  used: number;
  usedByFeature: Readonly<Record<string, number>>;
  /** Absent in statements written before agents were summed (none of them named one). */
  usedByAgent?: Readonly<Record<string, number>>;
  overrun: number;
  expiredCredits: number;
  closingBalance: number;
  refusalsByReason: Readonly<Record<string, number>>;
}

const cell = (v: string | number): string =>
  /[",\n\r]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v);

export function statementCsv(s: StatementFigures): string {
  const lines: (string | number)[][] = [
    ["section", "item", "value"],
    ["period", "start", s.periodStart],
    ["period", "end", s.periodEnd],
    ["period", "closed_at", s.closedAt],
    ["subscription", "plan", s.plan],
    ["subscription", "seats", s.seats],
    ["credits", "included", s.includedCredits],
    ...s.packages.map((p) => ["package", p.id, p.credits]),
    ["credits", "opening_balance", s.openingBalance],
    ["credits", "balance", s.balance],
    ...Object.entries(s.usedByFeature).map(([f, n]) => ["used_by_feature", f, n]),
    ...Object.entries(s.usedByAgent ?? {}).map(([a, n]) => ["used_by_agent", a, n]),
    ["credits", "used", s.used],
    ["credits", "overrun", s.overrun],
    ["credits", "expired", s.expiredCredits],
    ["credits", "closing_balance", s.closingBalance],
    ...Object.entries(s.refusalsByReason).map(([r, n]) => ["refusals_by_reason", r, n]),
  ];
  return `${lines.map((l) => l.map(cell).join(",")).join("\r\n")}\r\n`;
}
