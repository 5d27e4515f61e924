/**
 * A CSS custom property's value, for the chart's canvas, which cannot resolve `var(--x)`
 * itself (a stroke of "var(--series-1)" is ignored and drawn in the default grey);
 * `fallback` when it is not set. Read when the chart is drawn, in the page's colour scheme.
 */
export function cssColor(property: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(property).trim() || fallback;
}
