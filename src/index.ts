import { createApp } from "./api";
import { announceCatalogue, fanOutProgress } from "./cron/catalogue";
import { scheduled } from "./cron/scheduled";
import type { Env } from "./env";
import { preflight } from "./preflight";

export { DueIndex } from "./dueIndex";
// The service-binding ways in (src/entrypoints.ts): a Worker in the same account binds one with
// `entrypoint = "QuotaService"` (or "QuotaPlatform") instead of calling over HTTP with a token.
export { QuotaPlatform, QuotaService, QuotaWorkspace } from "./entrypoints";
export { WorkspaceObject } from "./workspace/object";

// A publish or a withdrawal is announced to the due index's shards (src/cron/catalogue.ts).
const app = createApp({ fanOut: { announce: announceCatalogue, progress: fanOutProgress } });

export default {
  // credits/check and credits/consume, when plainly valid, are answered before the router.
  async fetch(request, env, ctx) {
    const fast = await preflight(request, env);
    return fast instanceof Response ? fast : app.fetch(fast, env, ctx);
  },
  // The every-minute cron (wrangler.toml [triggers]): applies due work the alarms missed.
  scheduled,
} satisfies ExportedHandler<Env>;
