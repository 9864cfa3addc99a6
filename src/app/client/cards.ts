/**
 * The registry types: a tab is a list of cards, a table a list of columns. Adding a card is one
 * typed function added to its tab's list; adding a column is one entry in the table's list
 * (docs/billing-page.md, "Adding a card").
 */
import type { Child } from "./dom";

/** A card: what it needs of the tab's data in, one element (or nothing) out. */
export type Card<Data> = (data: Data) => HTMLElement | null;

export const renderCards = <Data>(cards: readonly Card<Data>[], data: Data): HTMLElement[] =>
  cards.map((card) => card(data)).filter((el): el is HTMLElement => el !== null);

/** A table column: its header, whether it holds figures (right-aligned), and its cell. */
export interface Column<Row> {
  /** The header, and the label of the cell on a phone (where rows stack). */
  label: string;
  /** A stable name for tests and styles (`data-column`). */
  key: string;
  numeric: boolean;
  /** Its share of the table's width on a desktop, so no edit makes the columns move. */
  width: string;
  cell(row: Row): Child;
}
