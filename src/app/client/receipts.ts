/**
 * Receipts on the page (docs/billing-page.md#receipts): every credit answer carries a receipt
 * number, the ledger entry it was decided on; support types it here (or opens
 * `/app?receipt=42#credits`) and reads that entry, or where it went once archived. The card is
 * one element per workspace, kept across redraws, so a push never clears what is being typed.
 */
import { type LedgerEntry, Problem } from "./api";
import { h } from "./dom";
import { num, when } from "./format";
import { state } from "./view";
import { featureName } from "./words";

let card: { ws: string; el: HTMLElement; input: HTMLInputElement; result: HTMLElement } | null =
  null;

/** What each kind of entry was, in people's words (the ledger view's "What" too). */
export const KIND: Record<LedgerEntry["kind"], string> = {
  debit: "Spent (consume)",
  hold: "Held (reservation)",
  commit: "Charged (reservation committed)",
  release: "Released (reservation freed)",
  expire: "Expired (reservation lapsed)",
  question: "Copilot question counted",
};

function entryView(e: LedgerEntry): HTMLElement {
  const row = (label: string, value: string) => [h("dt", null, label), h("dd", null, value)];
  return h(
    "dl",
    { class: "receipt", "data-receipt-entry": e.id },
    row("Receipt", `#${num(e.id)}`),
    row("What", KIND[e.kind]),
    e.feature === null ? null : row("Feature", featureName(e.feature)),
    row("Credits", num(e.credits)),
    row("When", when(e.at)),
    row("By", e.role ?? "the service itself (due work)"),
    e.idempotencyKey === null ? null : row("Idempotency-Key", e.idempotencyKey),
    e.reservationId === null ? null : row("Reservation", e.reservationId),
    row("Billing period from", when(e.periodStart)),
  );
}

function problemText(p: Problem, seq: number): string {
  if (p.code === "ledger_entry_archived") {
    const details = p.error?.details as { archives?: string } | undefined;
    return `Receipt #${num(seq)} is older than the ledger keeps (62 days) and was archived: find it with GET ${details?.archives ?? "…/archives"}.`;
  }
  if (p.code === "not_found") return `There is no receipt #${num(seq)} in this workspace yet.`;
  return "The receipt could not be looked up. Try again.";
}

/** Who else shows a receipt looked up (the ledger view marks its row), and whether to scroll. */
let lookedUp: ((seq: number, scroll: boolean) => void) | null = null;
export const whenLookedUp = (show: (seq: number, scroll: boolean) => void): void => {
  lookedUp = show;
};

async function show(seq: number, scroll = true): Promise<void> {
  const api = state.api;
  if (card === null || api === null) return;
  lookedUp?.(seq, scroll);
  const { result } = card;
  result.replaceChildren(h("p", { class: "loading" }, "Looking it up…"));
  try {
    result.replaceChildren(entryView(await api.ledgerEntry(seq)));
  } catch (error) {
    const p = error instanceof Problem ? error : new Problem("bug", 0, null, "");
    result.replaceChildren(h("p", { class: "error", role: "alert" }, problemText(p, seq)));
  }
}

const parse = (text: string): number | null =>
  /^#?\d{1,15}$/.test(text.trim()) && Number(text.trim().replace("#", "")) > 0
    ? Number(text.trim().replace("#", ""))
    : null;

/** The lookup card of the open workspace (made once per workspace). */
export function receiptCard(): HTMLElement | null {
  const ws = state.ws;
  if (ws === null) return null;
  if (card?.ws === ws) return card.el;
  const input = h("input", {
    id: "receipt-seq",
    inputmode: "numeric",
    autocomplete: "off",
    "aria-describedby": "receipt-hint",
  });
  const result = h("div", { id: "receipt-result", "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "receipt-form",
      novalidate: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          const seq = parse(input.value);
          if (seq === null) {
            result.replaceChildren(
              h(
                "p",
                { class: "error", role: "alert" },
                "A receipt number is a whole number from 1.",
              ),
            );
          } else void show(seq);
        },
      },
    },
    h("label", { for: "receipt-seq" }, "Receipt number"),
    input,
    h("button", { type: "submit" }, "Look up"),
  );
  const el = h(
    "section",
    { class: "card", id: "receipt-lookup", "aria-labelledby": "receipt-title" },
    h("h2", { id: "receipt-title" }, "Look up a receipt"),
    h(
      "p",
      { id: "receipt-hint", class: "detail" },
      "Every answer about credits carries a receipt number: the ledger entry it was decided on. A refusal's is the last entry before it.",
    ),
    form,
    result,
  );
  card = { ws, el, input, result };
  return el;
}

/** Whether a person is typing in the card: a push then leaves the tab as it is. */
export const typingReceipt = (): boolean => card?.el.contains(document.activeElement) === true;

/** Fills the card with `seq` and looks it up (the card is drawn with the credits tab). */
export function lookUpReceipt(seq: number, scroll = true): void {
  receiptCard();
  if (card === null) return;
  card.input.value = String(seq);
  void show(seq, scroll);
}
