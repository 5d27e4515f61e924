import { useMemo } from 'preact/hooks';
import { isPreset, PRESET_LABELS, PRESETS, rangeDays, resolveRange, type DateRange, type Preset } from '../lib/date-range';
import { localDay, UTC } from '../lib/time-zone';
import { useUrlState } from '../lib/url-state';

export interface UrlRange {
  preset: Preset;
  range: DateRange;
  /** The local calendar days of `zone` the range touches, "YYYY-MM-DD", both inclusive. */
  days: { from: string; to: string };
  /** The time zone whose local days the range is made of. */
  zone: string;
  /** The presets offered. */
  presets: readonly Preset[];
  /** A key that changes when the range does (for useAsync's deps). */
  key: string;
}

/**
 * The date range in the URL: `range=<preset>` (the default preset leaves it out), and
 * `from`/`to` days with `range=custom`. A preset is resolved when it is chosen, so "last 24
 * hours" is the 24 hours up to then, and stays put while the page is open. Days are local
 * days of `zone` (the page's time zone, itself in the URL).
 */
export function useUrlRange(defaultPreset: Preset, zone: string = UTC, allowed: readonly Preset[] = PRESETS): UrlRange & { choose: (preset: string) => void; setDay: (end: 'from' | 'to', day: string) => void } {
  const { query, set } = useUrlState();
  const preset: Preset = isPreset(query.range) && allowed.includes(query.range) ? query.range : defaultPreset;
  const range = useMemo(() => resolveRange(preset, new Date(), { from: query.from, to: query.to }, zone), [preset, query.from, query.to, zone]);
  const days = rangeDays(range, zone);
  return {
    preset,
    range,
    days,
    zone,
    presets: allowed,
    key: `${range.from.toISOString()}/${range.till.toISOString()}/${zone}`,
    choose: (value) => {
      if (value === 'custom') set({ range: 'custom', from: days.from, to: days.to }, { push: true });
      else set({ range: value === defaultPreset ? undefined : value, from: undefined, to: undefined }, { push: true });
    },
    setDay: (end, day) => set({ [end]: day || undefined }, { push: true }),
  };
}

/** The preset select (all presets, or those given), and with "Custom range" two labelled date inputs (local days). */
export function RangeControls(props: { id: string; state: ReturnType<typeof useUrlRange> }) {
  const { state, id } = props;
  const today = localDay(new Date(), state.zone);
  return (
    <>
      <div class="field">
        <label for={`${id}-range`}>Date range</label>
        <select id={`${id}-range`} value={state.preset} onChange={(event) => state.choose((event.target as HTMLSelectElement).value)}>
          {state.presets.map((p) => (
            <option key={p} value={p}>
              {PRESET_LABELS[p]}
            </option>
          ))}
        </select>
      </div>
      {state.preset === 'custom' && (
        <>
          <div class="field">
            <label for={`${id}-from`}>From</label>
            <input
              id={`${id}-from`}
              type="date"
              value={state.days.from}
              max={today}
              required
              onChange={(event) => state.setDay('from', (event.target as HTMLInputElement).value)}
            />
          </div>
          <div class="field">
            <label for={`${id}-to`}>To</label>
            <input
              id={`${id}-to`}
              type="date"
              value={state.days.to}
              max={today}
              required
              onChange={(event) => state.setDay('to', (event.target as HTMLInputElement).value)}
            />
          </div>
        </>
      )}
    </>
  );
}
