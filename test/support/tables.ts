/** Runs one SQL statement and resolves with its rows (a pg Client or a TypeORM DataSource, adapted). */
export type RunSql = (sql: string) => Promise<Array<Record<string, unknown>>>;

/** The test database's own tables (partitions go with their table), the migration ledger included. */
export async function tableNames(run: RunSql): Promise<string[]> {
  const rows = await run(`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`);
  return rows.map((r) => String(r.name));
}

/** Drops every table of the test database, and the analytics trigger function of the old schema. */
export async function dropAllTables(run: RunSql): Promise<void> {
  const tables = await tableNames(run);
  if (tables.length > 0) await run(`DROP TABLE ${tables.map((t) => `"${t}"`).join(', ')} CASCADE`);
  await run('DROP FUNCTION IF EXISTS analytics_events_inserted() CASCADE');
}
