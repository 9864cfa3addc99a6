import { createApp } from "./api";
import { scheduled } from "./cron/scheduled";
import type { Env } from "./env";

export { DueIndex } from "./cron/dueIndex";
// The service-binding ways in (src/entrypoints.ts): a Worker in the same account binds one with
// `entrypoint = "QuotaService"` (or "QuotaPlatform") instead of calling over HTTP with a token.
export { QuotaPlatform, QuotaService } from "./entrypoints";
export { WorkspaceObject } from "./workspace/object";

const app = createApp();

export default {
  fetch: app.fetch,
  // The every-minute cron (wrangler.toml [triggers]): applies due work the alarms missed.
  scheduled,
} satisfies ExportedHandler<Env>;
