import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The dashboard's API types (web/src/api/schema.d.ts) are generated from the OpenAPI document
 * the service serves at /docs-json (dist/cmd/openapi.js writes the same document). A route or
 * field changed without `npm run api:types` fails here, so the UI cannot drift from the API.
 */
describe('the dashboard API client', () => {
  it('was generated from the current OpenAPI document (run npm run api:types if this fails)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
    try {
      const document = join(dir, 'openapi.json');
      const types = join(dir, 'schema.d.ts');
      execFileSync(process.execPath, ['dist/cmd/openapi.js', document], { stdio: 'pipe' });
      execFileSync('node_modules/.bin/openapi-typescript', [document, '-o', types], { stdio: 'pipe' });
      const committed = readFileSync('web/src/api/schema.d.ts', 'utf8');
      expect(committed === readFileSync(types, 'utf8')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
