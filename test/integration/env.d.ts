import type { Caller } from "./workers/caller";

declare global {
  namespace Cloudflare {
    interface Env {
      /** The `integration` project's second Worker (workers/caller.ts). */
      CALLER: Service<Caller>;
      /** examples/ai-feature, bound to the Worker under test's QuotaService. */
      AI_FEATURE: Fetcher;
      /** examples/ai-feature, bound to a quota service that cannot answer. */
      AI_FEATURE_DOWN: Fetcher;
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Auxiliary Worker name → bundled module path (test/integration/setup.mjs). */
    auxiliaryWorkers: { aiFeature: string; caller: string; quotaDown: string };
  }
}
