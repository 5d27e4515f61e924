import 'reflect-metadata';
import { availableParallelism, loadavg } from 'node:os';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { runMigrations } from '../src/shared/database/run-migrations';
import { EVENTS, insertDataSet, withMigrations } from './data-set';
import { benchDatabase, timed } from './support';

/**
 * npm run bench:upgrade — how long the upgrade to the partitioned, distributable schema
 * (migration 1763700005000) takes on an existing deployment of EVENTS (default 5,000,000)
 * events: bench:analytics's data set (bench/data-set.ts).
 * 1. Migrations up to 1763700002000, then the events inserted (without the rollup trigger,
 *    which would make loading slow), then 1763700003000 and 1763700004000, which create the
 *    rollups and the trigger and backfill them from the events: the deployment as the
 *    previous release (5ed252c) leaves it.
 * 2. Timed: runMigrations with every migration, i.e. 1763700005000 alone — writers wait on its
 *    lock for that long.
 * Prints table + index sizes before and after (storage per million events).
 */
async function sizes(db: DataSource, tables: string[]): Promise<string> {
  const rows: Array<{ name: string; bytes: string }> = await db.query(
    `SELECT t AS name, pg_total_relation_size(t::regclass)
            + coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = t::regclass), 0) AS bytes
     FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL`,
    [tables],
  );
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const total = rows.reduce((sum, r) => sum + Number(r.bytes), 0);
  return `${rows.map((r) => `${r.name} ${mb(Number(r.bytes))}`).join(', ')}; total ${mb(total)} = ${mb((total * 1e6) / EVENTS)} per million events`;
}

async function main() {
  const bench = await benchDatabase('bench_upgrade', { migrate: false });
  const url = bench.url;
  try {
    console.log(`load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} cores, shared)`);
    await withMigrations(url, 3, (db) => runMigrations(db));
    console.log(`loading ${EVENTS.toLocaleString()} events (schema at 1763700002000, no trigger)…`);
    const load = await timed(() => withMigrations(url, 3, (db) => insertDataSet(db)));
    console.log(`- loaded in ${(load.ms / 1000).toFixed(1)} s`);
    const backfill = await timed(() => withMigrations(url, 5, (db) => runMigrations(db)));
    console.log(`- 1763700003000 + 1763700004000 (rollups created and backfilled): ${(backfill.ms / 1000).toFixed(1)} s`);
    await withMigrations(url, 5, async (db) => {
      for (const t of ['events', 'analytics_users', 'analytics_user_sets', 'analytics_daily_actions', 'analytics_daily_paths']) await db.query(`VACUUM ANALYZE ${t}`);
      await db.query('CHECKPOINT');
      console.log(`- before the upgrade: ${await sizes(db, ['events'])}`);
    });
    console.log(`load average before the upgrade: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const upgrade = await timed(() => withMigrations(url, MIGRATIONS.length, (db) => runMigrations(db)));
    console.log(`- UPGRADE: ${upgrade.value.join(', ')} applied in ${(upgrade.ms / 1000).toFixed(1)} s (${EVENTS.toLocaleString()} events; writers wait this long)`);
    await withMigrations(url, MIGRATIONS.length, async (db) => {
      await db.query('VACUUM ANALYZE events');
      await db.query('VACUUM ANALYZE event_ids');
      const [{ n }] = await db.query(`SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'events'::regclass`);
      console.log(`- after the upgrade (${n} weekly partitions): ${await sizes(db, ['events', 'event_ids'])}`);
    });
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
