import type { Locator } from 'playwright-core';

/**
 * Functions run in the page, written as source because the tests are compiled without the
 * DOM's types. Playwright sends a function's source to the page (a plain string would be
 * evaluated as an expression, not called).
 */
const inPage = (parameters: string[], body: string) => new Function(...parameters, body) as (elements: unknown[], arg?: unknown) => unknown;

/**
 * What table rows show, cell by cell, for comparing with the API: a figure's text and exact
 * value (`<data>`: "1.2K|1,234"), a time's instant (`<time datetime>`), otherwise the text.
 * With `keyAttribute`, each row starts with that attribute of the <tr>.
 */
const READ_ROWS = inPage(
  ['trs', 'key'],
  `return trs.map((tr) => [
     ...(key ? [tr.getAttribute(key)] : []),
     ...Array.from(tr.querySelectorAll('th, td')).map((cell) => {
       const data = cell.querySelector('data');
       if (data) return data.textContent + '|' + data.getAttribute('title');
       const time = cell.querySelector('time');
       if (time) return time.getAttribute('datetime');
       return (cell.textContent || '').trim();
     }),
   ]);`,
);

export async function readRows(rows: Locator, keyAttribute?: string): Promise<string[][]> {
  return (await rows.evaluateAll(READ_ROWS, keyAttribute ?? null)) as string[][];
}

/** The values of a select's options, in order. */
export async function optionValues(select: Locator): Promise<string[]> {
  return (await select.locator('option').evaluateAll(inPage(['options'], 'return options.map((o) => o.value);'))) as string[];
}
