/** Thin typed access to the object's SQLite database; every value is a bound parameter. */
export type SqlParam = string | number | null;

export class Store {
  /**
   * Events appended through this store so far: the object compares it before and after a call,
   * since a new event may move its delivery and retention deadlines.
   */
  eventsRecorded = 0;
  /** Rows written through this store so far: a dry run compares it to know it changed nothing. */
  rowsWritten = 0;

  constructor(readonly sql: SqlStorage) {}

  all<T>(query: string, ...params: SqlParam[]): T[] {
    const cursor = this.sql.exec(query, ...params);
    const rows = cursor.toArray() as T[];
    this.rowsWritten += cursor.rowsWritten;
    return rows;
  }

  one<T>(query: string, ...params: SqlParam[]): T | undefined {
    return this.all<T>(query, ...params)[0];
  }

  run(query: string, ...params: SqlParam[]): number {
    const written = this.sql.exec(query, ...params).rowsWritten;
    this.rowsWritten += written;
    return written;
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.one<{ value: string }>("SELECT value FROM meta WHERE key = ?", key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  setMeta(key: string, value: unknown): void {
    this.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
  }
}

export interface Migration {
  /** Unique and never renamed: applied migrations are recorded by name. */
  name: string;
  statements: string[];
}

export function migrate(store: Store, migrations: readonly Migration[]): void {
  store.run("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at INTEGER)");
  const applied = new Set(
    store.all<{ name: string }>("SELECT name FROM _migrations").map((r) => r.name),
  );
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    for (const statement of m.statements) store.run(statement);
    store.run("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", m.name, Date.now());
  }
}
