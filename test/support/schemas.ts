import type { components } from "../../src/client/openapi";

/**
 * The API's bodies as the generated client types them (src/client/openapi.ts, from the OpenAPI
 * document: `npm run client:generate`), so a test's reading of an answer follows the document.
 */
export type Schemas = components["schemas"];

/** One row of GET credits/ledger. */
export type LedgerEntry = Schemas["CreditLedgerPage"]["entries"][number];
/** One day of GET credits/daily. */
export type DailyCreditsDay = Schemas["DailyCredits"]["days"][number];
/** One channel of GET channels/{kind}. */
export type ListedChannel = Schemas["ChannelList"]["channels"][number];
