import { createApp } from "./api";
import type { Env } from "./env";

export { WorkspaceObject } from "./workspace/object";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
