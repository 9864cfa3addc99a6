import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** The fleet index's migrations as JSON (vitest.config.ts), applied by test/fleet/setup.ts. */
      FLEET_MIGRATIONS: string;
      /** The history archive (wrangler.toml's R2 bucket), bound in every test Worker. */
      ARCHIVE: R2Bucket;
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Origin of the webhook test receiver (test/webhooks/receiver.mjs), e.g. http://127.0.0.1:41234. */
    webhookReceiver: string;
  }
}
