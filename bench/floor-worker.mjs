// The floors of `npm run bench`: what the runtime costs before the service does anything.
//   POST /       no-op Worker: reads the body and answers
//   POST /do     Worker -> a no-op Durable Object method (RPC)
//   POST /write  Worker -> an object that upserts one counter and appends one ledger row in its
//                SQLite database (on disk), in one transaction
// Plain JavaScript with no imports but the runtime's, so Miniflare loads it as is.
import { DurableObject } from "cloudflare:workers";

export class NoopObject extends DurableObject {
  ping() {
    return { ok: true };
  }
}

export class WriteObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counter (k TEXT PRIMARY KEY, n INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, n INTEGER NOT NULL)",
    );
  }

  write(n) {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO counter (k, n) VALUES ('used', ?) ON CONFLICT (k) DO UPDATE SET n = n + excluded.n",
        n,
      );
      sql.exec("INSERT INTO ledger (at, n) VALUES (?, ?)", Date.now(), n);
      return { ok: true };
    });
  }
}

export default {
  async fetch(request, env) {
    const body = await request.text();
    const path = new URL(request.url).pathname;
    if (path === "/do") {
      return Response.json(await env.NOOP.getByName("bench").ping());
    }
    if (path === "/write") {
      const n = JSON.parse(body || "{}").credits ?? 1;
      return Response.json(await env.WRITE.getByName("bench").write(n));
    }
    return Response.json({ ok: true });
  },
};
