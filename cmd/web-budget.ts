import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * npm run web:budget — what the dashboard's overview costs a browser on its first load,
 * from the Vite manifest of the built UI (dist/web/.vite/manifest.json): the JavaScript and
 * CSS of the entry chunk (index.html), every chunk it imports statically, and — when the
 * overview page is a lazily loaded chunk of its own — that chunk and its static imports too,
 * since the overview cannot render without it. Chunks loaded only by other pages (dynamic
 * imports) are not counted. Sizes are gzipped at zlib's default level (6, what a compressing
 * proxy typically uses); 1 kB = 1000 bytes, as Vite prints them. Prints a table; exits 1 when
 * the JavaScript is above the budget of issue 13 (200 kB gzipped). An argument names another
 * built UI directory than dist/web.
 */
export const JS_BUDGET_BYTES = 200_000;

/** One chunk of a Vite manifest (vite.dev/guide/backend-integration). */
export interface ManifestChunk {
  file: string;
  src?: string;
  name?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  assets?: string[];
}
export type Manifest = Record<string, ManifestChunk>;

export interface BudgetFile {
  file: string;
  kind: 'js' | 'css';
  bytes: number;
  gzip: number;
  /** Why it is part of the first load: the manifest key that brought it in. */
  via: string;
}

export interface Budget {
  files: BudgetFile[];
  js: { bytes: number; gzip: number };
  css: { bytes: number; gzip: number };
  withinBudget: boolean;
}

/** The overview page's own chunk, when it is split out: a dynamic entry named like the overview. */
const OVERVIEW = /(^|[/_-])overview/i;

/** Manifest keys of the first load: the HTML entries, the lazy overview chunk, and their static imports. */
export function firstLoadChunks(manifest: Manifest, overview: RegExp = OVERVIEW): string[] {
  const roots = Object.keys(manifest).filter(
    (key) => (manifest[key].isEntry && key.endsWith('.html')) || (manifest[key].isDynamicEntry && overview.test(manifest[key].src ?? key)),
  );
  if (!roots.some((key) => manifest[key].isEntry)) throw new Error('the manifest has no HTML entry (index.html)');
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    if (!manifest[key]) throw new Error(`the manifest names a chunk it does not hold: ${key}`);
    seen.add(key);
    for (const imported of manifest[key].imports ?? []) visit(imported);
  };
  roots.forEach(visit);
  return [...seen];
}

export function measureFirstLoad(webDir: string): Budget {
  const manifestPath = join(webDir, '.vite', 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`${manifestPath} is missing: build the UI first (npm run build)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const files = new Map<string, BudgetFile>();
  const add = (file: string, kind: 'js' | 'css', via: string) => {
    if (files.has(file)) return;
    const content = readFileSync(join(webDir, file));
    files.set(file, { file, kind, bytes: content.length, gzip: gzipSync(content).length, via });
  };
  for (const key of firstLoadChunks(manifest)) {
    const chunk = manifest[key];
    if (/\.[cm]?js$/.test(chunk.file)) add(chunk.file, 'js', key);
    else if (chunk.file.endsWith('.css')) add(chunk.file, 'css', key);
    for (const css of chunk.css ?? []) add(css, 'css', key);
  }
  const sum = (kind: 'js' | 'css') =>
    [...files.values()].filter((f) => f.kind === kind).reduce((t, f) => ({ bytes: t.bytes + f.bytes, gzip: t.gzip + f.gzip }), { bytes: 0, gzip: 0 });
  const js = sum('js');
  return { files: [...files.values()], js, css: sum('css'), withinBudget: js.gzip <= JS_BUDGET_BYTES };
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export function formatBudget(budget: Budget): string {
  const lines = [
    "the overview's first load (entry chunk, its static imports and the overview's chunk; gzip level 6):",
    '',
    '| file | kind | size | gzipped | brought in by |',
    '|---|---|---:|---:|---|',
    ...budget.files.map((f) => `| ${f.file} | ${f.kind} | ${kB(f.bytes)} | ${kB(f.gzip)} | ${f.via} |`),
    `| **JavaScript** | js | ${kB(budget.js.bytes)} | **${kB(budget.js.gzip)}** | budget ${kB(JS_BUDGET_BYTES)} gzipped |`,
    `| **CSS** | css | ${kB(budget.css.bytes)} | **${kB(budget.css.gzip)}** | |`,
    '',
    budget.withinBudget
      ? `within budget: ${kB(budget.js.gzip)} of ${kB(JS_BUDGET_BYTES)} gzipped JavaScript`
      : `OVER BUDGET: ${kB(budget.js.gzip)} gzipped JavaScript > ${kB(JS_BUDGET_BYTES)}`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  try {
    const budget = measureFirstLoad(process.argv[2] ?? join(__dirname, '..', '..', 'dist', 'web'));
    console.log(formatBudget(budget));
    process.exit(budget.withinBudget ? 0 : 1);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
