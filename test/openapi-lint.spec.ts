import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm test` alone catches what `npm run lint:openapi` (CI) catches: the document, written
 * without a database by dist/cmd/openapi.js (built by pretest), passes Spectral with
 * .spectral.yaml — spectral:oas and the OWASP ruleset, warnings included.
 */
describe('the OpenAPI document', () => {
  it('passes the Spectral lint (spectral:oas and OWASP) without errors or warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      execFileSync(process.execPath, ['dist/cmd/openapi.js', file], { stdio: 'pipe' });
      const lint = spawnSync('node_modules/.bin/spectral', ['lint', '--fail-severity=warn', '--ruleset', '.spectral.yaml', file], { encoding: 'utf8' });
      expect(`exit ${lint.status}\n${lint.stdout}${lint.stderr}`).toMatch(/^exit 0\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
