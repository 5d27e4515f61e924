#!/usr/bin/env node
/**
 * The Citus suite, the second half of `npm test`: the e2e suite and the property tests again,
 * on a real Citus cluster (a coordinator and workers) whose coordinator CITUS_DATABASE_URL
 * names — `../shared/tools/citus-cluster start` makes one on this machine and prints its URL;
 * `.ci/run` does that. The database is emptied and migrated, so the migrations distribute the
 * tables. Without CITUS_DATABASE_URL it says in one line that it skipped, and how to enable it.
 * Two runs on one cluster would empty each other's tables: a run holds an advisory lock on the
 * coordinator for its whole length, and a second run waits for it (saying so).
 */
const { spawn } = require('node:child_process');
const { Client } = require('pg');

const url = process.env.CITUS_DATABASE_URL;
if (!url) {
  console.log('Citus suite skipped: set CITUS_DATABASE_URL to a Citus coordinator (`../shared/tools/citus-cluster start` prints one) to run it.');
  process.exit(0);
}
// Every statement on Citus is slower (three servers on one machine, two-phase commits): a
// longer per-test limit. What depends on the embedded PostgreSQL itself (its start, its binaries) or on no database.
const NOT_ON_CITUS = [
  'test/browser/', 'test/e2e/process.e2e', 'test/e2e/first-run.e2e', 'test/e2e/replica', 'test/e2e/dashboard-serving',
  'test/openapi-lint', 'test/web-', 'test/deploy-manifests', 'test/architecture', 'test/e2e/httpie-collection',
  // measures the service process's memory over a million rows; the database side is the export test's
  'test/e2e/exports-million',
];
/** The advisory lock key of "a Citus suite is running on this database". */
const SUITE_LOCK = 7_357_001;

async function main() {
  const lock = new Client({ connectionString: url });
  await lock.connect();
  const [{ locked }] = (await lock.query('SELECT pg_try_advisory_lock($1) AS locked', [SUITE_LOCK])).rows;
  if (!locked) {
    console.log(`Citus suite: another run holds ${new URL(url).host}; waiting for it to finish`);
    await lock.query('SELECT pg_advisory_lock($1)', [SUITE_LOCK]);
  }
  console.log(`Citus suite: the e2e and property tests on ${new URL(url).host}`);
  const jest = spawn(
    process.execPath,
    [require.resolve('jest/bin/jest'), ...process.argv.slice(2), '--runInBand', '--testTimeout', '120000', '--selectProjects', 'integration', '--testPathIgnorePatterns', ...NOT_ON_CITUS],
    { stdio: 'inherit', env: { ...process.env, DATABASE_URL: url, TEST_DATABASE_IN_PLACE: '1' } },
  );
  const code = await new Promise((resolve) => jest.on('exit', (status) => resolve(status ?? 1)));
  await lock.end(); // the lock goes with the session
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`Citus suite: ${error.message}`);
    process.exit(1);
  },
);
