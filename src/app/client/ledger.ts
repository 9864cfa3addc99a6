/**
 * The ledger view (docs/billing-page.md#the-ledger): the credit ledger newest first, a page at a
 * time, filtered by feature, kind or agent, each entry's receipt number a link to it. A receipt
 * looked up (typed, linked from "Figures as of", or `/app?receipt=42#credits`) opens the ledger at
 * that entry and marks it, so support reads what a refusal was decided on and what came before.
 * The card is one element per workspace, kept across redraws like the receipt lookup.
 */
import { AI_FEATURES, type AiFeature } from "../../policy/catalogue";
import { LEDGER_KINDS, type LedgerKind } from "../../policy/ledgerView";
import { type LedgerEntry, type LedgerPage, type LedgerView, Problem } from "./api";
import type { Column } from "./cards";
import { append, h } from "./dom";
import { num, when } from "./format";
import { KIND, lookUpReceipt, receiptCard, typingReceipt, whenLookedUp } from "./receipts";
import { isPlatform, state } from "./view";
import { featureName } from "./words";

/** Entries per page: a screenful; the API allows up to 100. */
const PAGE = 25;
/** Pages read in a row when a rare filter's page comes back empty (each reads a bounded window). */
const EMPTY_PAGES_FOLLOWED = 5;

interface Filters {
  feature?: AiFeature;
  kind?: LedgerKind;
  agentId?: string;
}

/** Which page is shown: the newest, one after a cursor, or the one starting at a receipt. */
type Start = { kind: "newest" } | { kind: "after"; cursor: string } | { kind: "from"; seq: number };

interface LedgerCard {
  ws: string;
  el: HTMLElement;
  body: HTMLElement;
  pager: HTMLElement;
  note: HTMLElement;
  form: HTMLFormElement;
  filters: Filters;
  start: Start;
  /** The starts of the pages before this one, for "Newer". */
  back: Start[];
  page: LedgerPage | null;
  /** The receipt looked up last: its row is marked while it is on the page. */
  marked: number | null;
  /** Bumped by every load: an answer for an older one is dropped. */
  generation: number;
  loading: boolean;
  /** A newer sequence was written while a load was running: load the newest again after it. */
  stale: boolean;
  /** The marked row is to be scrolled to once the card is on the page (the tab draws it later). */
  scrollPending: boolean;
}

let card: LedgerCard | null = null;

/** `?receipt=42#credits` (and the workspace, for a platform user): a link that opens one entry. */
export function receiptHref(seq: number): string {
  const search = new URLSearchParams();
  if (isPlatform() && state.ws !== null) search.set("ws", state.ws);
  search.set("receipt", String(seq));
  return `?${search}#credits`;
}

const sourcesText = (e: LedgerEntry): string =>
  e.sources.length === 0
    ? "—"
    : e.sources
        .map((s) =>
          s.source === "pool" ? `Pool ${num(s.credits)}` : `Top-up ${s.source} ${num(s.credits)}`,
        )
        .join(", ");

/** The table's columns, in order (the label is also the cell's label on a phone). */
const COLUMNS: readonly Column<LedgerEntry>[] = [
  {
    label: "Receipt",
    key: "receipt",
    numeric: false,
    width: "11%",
    cell: (e) =>
      h("a", { href: receiptHref(e.id), "data-receipt-link": e.id, class: "seq" }, `#${num(e.id)}`),
  },
  { label: "When", key: "when", numeric: false, width: "19%", cell: (e) => when(e.at) },
  { label: "What", key: "kind", numeric: false, width: "19%", cell: (e) => KIND[e.kind] },
  {
    label: "Feature",
    key: "feature",
    numeric: false,
    width: "14%",
    cell: (e) => (e.feature === null ? "—" : featureName(e.feature)),
  },
  { label: "Agent", key: "agent", numeric: false, width: "11%", cell: (e) => e.agentId ?? "—" },
  { label: "Credits", key: "credits", numeric: true, width: "9%", cell: (e) => num(e.credits) },
  { label: "Paid from", key: "sources", numeric: false, width: "17%", cell: sourcesText },
];

function table(c: LedgerCard, entries: readonly LedgerEntry[]): HTMLElement {
  const filtered = c.filters.feature ?? c.filters.kind ?? c.filters.agentId;
  return h(
    "table",
    { class: "ledger-table" },
    h(
      "caption",
      { class: "sr-only" },
      `Ledger entries${filtered === undefined ? "" : " matching the filters"}, newest first`,
    ),
    h(
      "colgroup",
      null,
      COLUMNS.map((col) => {
        const el = h("col");
        el.style.width = col.width; // CSSOM: the CSP allows no inline style attribute
        return el;
      }),
    ),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        COLUMNS.map((col) =>
          h("th", { scope: "col", class: col.numeric ? "num" : null }, col.label),
        ),
      ),
    ),
    h(
      "tbody",
      null,
      entries.map((e) =>
        h(
          "tr",
          {
            id: `ledger-entry-${e.id}`,
            "data-ledger-entry": e.id,
            class: e.id === c.marked ? "marked" : null,
            "aria-current": e.id === c.marked ? "true" : null,
          },
          COLUMNS.map((col) =>
            h(
              "td",
              {
                class: col.numeric ? "num" : null,
                "data-column": col.key,
                "data-label": col.label,
              },
              col.cell(e),
            ),
          ),
        ),
      ),
    ),
  );
}

/** What the page shows besides the entries: none matching, a marked receipt, the archive. */
function notes(c: LedgerCard, page: LedgerPage): HTMLElement[] {
  const out: HTMLElement[] = [];
  const marked = c.marked;
  if (marked !== null && page.entries.some((e) => e.id === marked)) {
    out.push(
      h(
        "p",
        { class: "detail", "data-ledger-marked": marked },
        `Receipt #${num(marked)} is marked. An answer that carries it was decided against this entry: a spend's own entry, or for a check or a refusal the last entry before it, so the figures it saw were those after it. The rows below it came before.`,
      ),
    );
  }
  const archived = page.archived;
  if (archived !== null && (!page.hasMore || (marked !== null && marked <= archived.throughSeq))) {
    out.push(
      h(
        "p",
        { class: "detail", "data-ledger-archived": archived.throughSeq },
        `Receipts #1 to #${num(archived.throughSeq)} are older than the ledger keeps here and were archived: the platform reads them with GET ${archived.archives}.`,
      ),
    );
  }
  return out;
}

function draw(c: LedgerCard): void {
  const page = c.page;
  if (page === null) return;
  const filtered = c.filters.feature ?? c.filters.kind ?? c.filters.agentId;
  c.body.replaceChildren(
    page.entries.length > 0
      ? h("div", { class: "ledger-scroll" }, table(c, page.entries))
      : h(
          "p",
          { class: "detail", "data-ledger-empty": true },
          filtered !== undefined
            ? "No entries match these filters here."
            : c.start.kind === "newest"
              ? "No credits have moved yet: every spend, hold, charge and release will be listed here."
              : "No entries here.",
        ),
  );
  c.note.replaceChildren(...notes(c, page));
  const button = (label: string, name: string, go: () => void) =>
    h("button", { type: "button", class: "ghost", "data-page": name, on: { click: go } }, label);
  c.pager.replaceChildren();
  append(c.pager, [
    c.start.kind === "newest" ? null : button("Newest", "newest", () => restart(c)),
    c.back.length > 0
      ? button("Newer", "newer", () => {
          const start = c.back.pop();
          if (start !== undefined) void load(c, start, false);
        })
      : null,
    page.hasMore
      ? button("Older", "older", () => {
          c.back.push(c.start);
          void load(c, { kind: "after", cursor: page.nextCursor }, false);
        })
      : null,
  ]);
}

function problemText(p: Problem): string {
  if (p.status === 400 && p.fieldMessages.length > 0) {
    return `These filters can't be used: ${p.fieldMessages.join("; ")}.`;
  }
  return "The ledger could not be read. Try again.";
}

/**
 * Loads a page (following a few empty ones a rare filter gives) and draws it; with `scrollTo`,
 * brings the marked row into view.
 */
async function load(c: LedgerCard, start: Start, scrollTo: boolean): Promise<void> {
  const api = state.api;
  if (api === null) return;
  const generation = ++c.generation;
  c.loading = true;
  c.body.setAttribute("aria-busy", "true");
  try {
    let query: LedgerView = { order: "newest", limit: PAGE, ...c.filters };
    if (start.kind === "after") query = { ...query, after: start.cursor };
    if (start.kind === "from") query = { ...query, from: start.seq };
    let page = await api.ledger(query);
    for (let i = 0; i < EMPTY_PAGES_FOLLOWED && page.entries.length === 0 && page.hasMore; i++) {
      page = await api.ledger({ ...query, from: undefined, after: page.nextCursor });
    }
    if (generation !== c.generation || card !== c) return;
    c.start = start;
    c.page = page;
    draw(c);
    if (scrollTo) {
      c.scrollPending = true;
      scrollToMarked(c);
    }
  } catch (error) {
    if (generation !== c.generation) return;
    const p = error instanceof Problem ? error : new Problem("bug", 0, null, "");
    c.body.replaceChildren(h("p", { class: "error", role: "alert" }, problemText(p)));
    c.pager.replaceChildren();
  } finally {
    if (generation === c.generation) {
      c.loading = false;
      c.body.removeAttribute("aria-busy");
      if (c.stale && c.start.kind === "newest") {
        c.stale = false;
        void load(c, { kind: "newest" }, false);
      }
    }
  }
}

/**
 * Brings the marked row into view once the card is on the page. Scrolled to, not focused: focus
 * in the card holds the live figures back (usingTabEnd).
 */
function scrollToMarked(c: LedgerCard): void {
  if (!c.scrollPending || !c.el.isConnected || c.page === null) return;
  c.scrollPending = false;
  c.body.querySelector(`[data-ledger-entry="${c.marked}"]`)?.scrollIntoView({ block: "center" });
}

function restart(c: LedgerCard): void {
  c.back = [];
  void load(c, { kind: "newest" }, false);
}

function readFilters(form: HTMLFormElement): Filters {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? "").trim();
  const feature = text("feature");
  const kind = text("kind");
  const agentId = text("agentId");
  return {
    feature: (AI_FEATURES as readonly string[]).includes(feature)
      ? (feature as AiFeature)
      : undefined,
    kind: (LEDGER_KINDS as readonly string[]).includes(kind) ? (kind as LedgerKind) : undefined,
    agentId: agentId === "" ? undefined : agentId,
  };
}

function filterForm(): HTMLFormElement {
  const select = (id: string, name: string, all: string, options: [string, string][]) =>
    h(
      "select",
      { id, name },
      h("option", { value: "" }, all),
      options.map(([value, label]) => h("option", { value }, label)),
    );
  const field = (id: string, label: string, control: HTMLElement) =>
    h("div", { class: "field" }, h("label", { for: id }, label), control);
  return h(
    "form",
    { class: "ledger-filters", novalidate: true, "aria-label": "Filter the ledger" },
    field(
      "ledger-feature",
      "Feature",
      select(
        "ledger-feature",
        "feature",
        "All features",
        AI_FEATURES.map((f) => [f, featureName(f)]),
      ),
    ),
    field(
      "ledger-kind",
      "What",
      select(
        "ledger-kind",
        "kind",
        "Everything",
        LEDGER_KINDS.map((k) => [k, KIND[k]]),
      ),
    ),
    field(
      "ledger-agent",
      "Agent id",
      h("input", { id: "ledger-agent", name: "agentId", autocomplete: "off", maxlength: 128 }),
    ),
    h("button", { type: "submit" }, "Show"),
  );
}

/** The ledger card of the open workspace (made once per workspace, loading its newest page). */
function ledgerCard(): LedgerCard | null {
  const ws = state.ws;
  if (ws === null) return null;
  if (card?.ws === ws) return card;
  const form = filterForm();
  const body = h(
    "div",
    { id: "ledger-body", "aria-live": "polite" },
    h("p", { class: "loading" }, "Loading…"),
  );
  const pager = h("nav", { class: "ledger-pager", "aria-label": "Ledger pages" });
  const note = h("div", { class: "ledger-notes" });
  const el = h(
    "section",
    { class: "card", id: "ledger", "aria-labelledby": "ledger-title" },
    h("h2", { id: "ledger-title" }, "Ledger"),
    h(
      "p",
      { class: "detail" },
      "Every movement of credits, newest first: what it was, its feature and agent, the credits and what paid them. A receipt number links to its entry.",
    ),
    form,
    body,
    note,
    pager,
  );
  const c: LedgerCard = {
    ws,
    el,
    body,
    pager,
    note,
    form,
    filters: {},
    start: { kind: "newest" },
    back: [],
    page: null,
    marked: null,
    generation: 0,
    loading: false,
    stale: false,
    scrollPending: false,
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    c.filters = readFilters(form);
    restart(c);
  });
  // A receipt link in the table: the lookup card shows its entry, the row is marked in place,
  // and the address becomes the link to send.
  body.addEventListener("click", (e) => {
    const link = (e.target as Element).closest<HTMLElement>("[data-receipt-link]");
    if (link === null) return;
    e.preventDefault();
    const seq = Number(link.dataset.receiptLink);
    history.replaceState(null, "", `${location.pathname}${receiptHref(seq)}`);
    lookUpReceipt(seq, false);
  });
  card = c;
  void load(c, { kind: "newest" }, false);
  return c;
}

/**
 * Opens the ledger at a receipt: marks its row where it is on the page shown, else reads the
 * page starting at it (without filters, which could hide it).
 */
function goTo(seq: number, scroll: boolean): void {
  const c = ledgerCard();
  if (c === null) return;
  c.marked = seq;
  if (c.page?.entries.some((e) => e.id === seq)) {
    draw(c);
    c.scrollPending = scroll;
    scrollToMarked(c);
    return;
  }
  c.filters = {};
  c.form.reset();
  c.back = [];
  void load(c, { kind: "from", seq }, scroll);
}

whenLookedUp(goTo);

/**
 * The end of the Manage credits tab: the receipt lookup, then the ledger. `asOf`, the sequence the
 * figures are as of, brings the newest page up to date while it is the one shown.
 */
export function creditsTabEnd(asOf: number): HTMLElement[] {
  const receipts = receiptCard();
  const c = ledgerCard();
  const unfiltered = c !== null && Object.values(c.filters).every((v) => v === undefined);
  if (c !== null && unfiltered && c.start.kind === "newest") {
    // Unfiltered, the newest entry shown is the last sequence written when it was read.
    if (asOf > (c.page?.entries[0]?.id ?? 0)) {
      if (c.loading) c.stale = true;
      else void load(c, { kind: "newest" }, false);
    }
  }
  // The tab puts these on the page right after: a receipt opened before it was drawn scrolls then.
  if (c?.scrollPending) queueMicrotask(() => scrollToMarked(c));
  return [receipts, c?.el].filter((el): el is HTMLElement => el !== undefined && el !== null);
}

/** Whether a person is typing or reading in the lookup or the ledger: a push leaves the tab be. */
export const usingTabEnd = (): boolean =>
  typingReceipt() || card?.el.contains(document.activeElement) === true;
