#!/usr/bin/env node
/**
 * The Citus suite, the second half of `npm test`: the e2e suite and the property tests again,
 * on a real Citus cluster (a coordinator and workers) whose coordinator CITUS_DATABASE_URL
 * names — `../shared/tools/citus-cluster start` makes one on this machine and prints its URL;
 * `.ci/run` does that. The database is emptied and migrated, so the migrations distribute the
 * tables. Without CITUS_DATABASE_URL it says in one line that it skipped, and how to enable it.
 */
const { spawnSync } = require('node:child_process');

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
console.log(`Citus suite: the e2e and property tests on ${new URL(url).host}`);
const result = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest'), ...process.argv.slice(2), '--runInBand', '--testTimeout', '120000', '--selectProjects', 'integration', '--testPathIgnorePatterns', ...NOT_ON_CITUS],
  { stdio: 'inherit', env: { ...process.env, DATABASE_URL: url, TEST_DATABASE_IN_PLACE: '1' } },
);
process.exit(result.status ?? 1);
