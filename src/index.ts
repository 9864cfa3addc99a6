import { createApp } from "./api";
import { scheduled } from "./cron/scheduled";
import type { Env } from "./env";

export { DueIndex } from "./cron/dueIndex";
export { WorkspaceObject } from "./workspace/object";

const app = createApp();

export default {
  fetch: app.fetch,
  // The every-minute cron (wrangler.toml [triggers]): applies due work the alarms missed.
  scheduled,
} satisfies ExportedHandler<Env>;
