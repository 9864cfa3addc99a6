/**
 * The Worker as deployed, with its workspace object counting the SQL it runs: statements, rows
 * read and rows written, as the cursor reports them (what Cloudflare bills). `npm run bench`
 * bundles this entry beside the real one and reads the counts with GET /__sql/{ws}, which
 * answers them and starts counting afresh. Bench only: never deployed.
 */

import type { Env } from "../src/env";
import worker from "../src/index";
import { WorkspaceObject as Workspace } from "../src/workspace/object";

export { DueIndex } from "../src/index";

type Cursor = SqlStorageCursor<Record<string, SqlStorageValue>>;

export class WorkspaceObject extends Workspace {
  private readonly cursors: Cursor[];

  constructor(ctx: DurableObjectState, env: Env) {
    const cursors: Cursor[] = [];
    const sql = ctx.storage.sql;
    const exec = sql.exec.bind(sql);
    sql.exec = ((query: string, ...params: unknown[]) => {
      const cursor = exec(query, ...params);
      cursors.push(cursor);
      return cursor;
    }) as typeof sql.exec;
    super(ctx, env);
    this.cursors = cursors;
  }

  /** The SQL run since the last call (cursors are read once the calls that made them ended). */
  sqlStats() {
    const stats = {
      statements: this.cursors.length,
      rowsRead: this.cursors.reduce((n, c) => n + c.rowsRead, 0),
      rowsWritten: this.cursors.reduce((n, c) => n + c.rowsWritten, 0),
    };
    this.cursors.length = 0;
    return stats;
  }
}

export default {
  ...worker,
  async fetch(request: Parameters<typeof worker.fetch>[0], env: Env, ctx: ExecutionContext) {
    const match = /^\/__sql\/([\w-]+)$/.exec(new URL(request.url).pathname);
    if (match?.[1] !== undefined) {
      const stub = env.WORKSPACE.getByName(
        match[1],
      ) as unknown as DurableObjectStub<WorkspaceObject>;
      return Response.json(await stub.sqlStats());
    }
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
