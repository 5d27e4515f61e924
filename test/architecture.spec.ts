import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * The layer rules of STYLE.md, checked on every test run: the domain is framework-free,
 * the application layer knows no persistence or transport, configuration is read once.
 */
const ROOT = join(__dirname, '..');
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|require\(['"]([^'"]+)['"]\)/g)].map(
    (m) => m[1] ?? m[2],
  );
}

const sources = files(SRC).filter((f) => !f.endsWith('.spec.ts'));
const moduleOf = (file: string) => relative(SRC, file).split(sep)[0];
const layerOf = (file: string) => relative(SRC, file).split(sep)[1];

describe('architecture', () => {
  it('has source files to check', () => {
    expect(sources.filter((f) => layerOf(f) === 'domain').length).toBeGreaterThan(0);
    expect(sources.filter((f) => layerOf(f) === 'application').length).toBeGreaterThan(0);
  });

  it.each(sources.filter((f) => layerOf(f) === 'domain').map((f) => [relative(ROOT, f), f]))(
    'domain file %s imports no framework and no other module',
    (_name, file) => {
      for (const target of imports(file)) {
        expect(target).not.toMatch(/^(@nestjs\/|typeorm|class-validator|class-transformer|pg$|fastify)/);
        if (target.startsWith('.')) {
          const resolved = relative(SRC, join(file, '..', target)).split(sep)[0];
          expect([moduleOf(file), 'shared']).toContain(resolved);
          expect(target).not.toMatch(/\/(ports|adapters|application)\//);
        }
      }
    },
  );

  it.each(sources.filter((f) => layerOf(f) === 'application').map((f) => [relative(ROOT, f), f]))(
    'application file %s imports no persistence, transport or adapter',
    (_name, file) => {
      for (const target of imports(file)) {
        expect(target).not.toMatch(/^(typeorm|@nestjs\/typeorm|pg$|fastify|@nestjs\/platform-)/);
        expect(target).not.toMatch(/\/(ports|adapters)\//);
      }
      expect(readFileSync(file, 'utf8')).not.toMatch(/HttpException|NotFoundException|BadRequestException/);
    },
  );

  it.each(sources.map((f) => [relative(ROOT, f), f]))("%s imports no other module's adapters", (_name, file) => {
    // A module reaches another only through what that one publishes (its domain and
    // application layers, its module file); its adapters stay its own business. This keeps,
    // e.g., metrics off tracking's persistence adapters.
    for (const target of imports(file).filter((t) => t.startsWith('.'))) {
      const [module, layer] = relative(SRC, join(file, '..', target)).split(sep);
      if (module !== moduleOf(file)) expect(`${target}: ${layer}`).not.toMatch(/: adapters$/);
    }
  });

  it.each(sources.filter((f) => moduleOf(f) === 'shared').map((f) => [relative(ROOT, f), f]))('shared file %s depends on no feature module', (_name, file) => {
    // The shared kernel is used by every module; a feature reaching it goes through arguments
    // (e.g. the OpenAPI builder is handed the ingestion routes), or the layers would circle.
    for (const target of imports(file).filter((t) => t.startsWith('.'))) {
      const resolved = relative(SRC, join(file, '..', target)).split(sep)[0];
      const allowed = resolved === 'shared' || resolved === 'config' || resolved === '..'; // .. : the migrations, outside src
      expect(`${target}: ${allowed}`).toBe(`${target}: true`);
    }
  });

  it('throws HTTP exceptions nowhere below ports', () => {
    for (const file of sources.filter((f) => ['domain', 'application', 'adapters'].includes(layerOf(f)))) {
      expect(`${relative(ROOT, file)}: ${/\b\w*(Http|NotFound|BadRequest)Exception\b/.test(readFileSync(file, 'utf8'))}`).toBe(
        `${relative(ROOT, file)}: false`,
      );
    }
  });

  it('reads process.env only in src/config.ts', () => {
    const offenders = [...sources, ...files(join(ROOT, 'cmd'))]
      .filter((f) => relative(ROOT, f) !== join('src', 'config.ts'))
      .filter((f) => /process\.env/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
