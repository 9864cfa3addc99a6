import type { CallAnswer } from "./workers/caller";

declare global {
  namespace Cloudflare {
    interface Env {
      /**
       * The `integration` project's second Worker (workers/caller.ts), by its `Caller`
       * entrypoint. Typed by hand: its answers carry any value, which RPC types cannot express.
       */
      CALLER: {
        call(binding: "SERVICE" | "PLATFORM", method: string, args: unknown[]): Promise<CallAnswer>;
      };
      /** examples/ai-feature, bound to the Worker under test's QuotaService. */
      AI_FEATURE: Fetcher;
      /** examples/ai-feature, bound to a quota service that answers `unavailable`. */
      AI_FEATURE_DOWN: Fetcher;
      /** examples/ai-feature, bound to a quota service whose every call throws. */
      AI_FEATURE_GONE: Fetcher;
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Auxiliary Worker name → bundled module path (test/integration/setup.mjs). */
    auxiliaryWorkers: { aiFeature: string; caller: string; quotaDown: string };
  }
}
