import { useMemo } from 'preact/hooks';
import { isoDay, isPreset, PRESET_LABELS, PRESETS, rangeDays, resolveRange, type DateRange, type Preset } from '../lib/date-range';
import { useUrlState } from '../lib/url-state';

export interface UrlRange {
  preset: Preset;
  range: DateRange;
  /** The calendar days the range touches, "YYYY-MM-DD", both inclusive. */
  days: { from: string; to: string };
  /** A key that changes when the range does (for useAsync's deps). */
  key: string;
}

/**
 * The date range in the URL: `range=<preset>` (the default preset leaves it out), and
 * `from`/`to` days with `range=custom`. A preset is resolved when it is chosen, so "last 24
 * hours" is the 24 hours up to then, and stays put while the page is open.
 */
export function useUrlRange(defaultPreset: Preset): UrlRange & { choose: (preset: string) => void; setDay: (end: 'from' | 'to', day: string) => void } {
  const { query, set } = useUrlState();
  const preset: Preset = isPreset(query.range) ? query.range : defaultPreset;
  const range = useMemo(() => resolveRange(preset, new Date(), { from: query.from, to: query.to }), [preset, query.from, query.to]);
  const days = rangeDays(range);
  return {
    preset,
    range,
    days,
    key: `${range.from.toISOString()}/${range.till.toISOString()}`,
    choose: (value) => {
      if (value === 'custom') set({ range: 'custom', from: days.from, to: days.to }, { push: true });
      else set({ range: value === defaultPreset ? undefined : value, from: undefined, to: undefined }, { push: true });
    },
    setDay: (end, day) => set({ [end]: day || undefined }, { push: true }),
  };
}

/** The preset select, and with "Custom range" two labelled date inputs (UTC days). */
export function RangeControls(props: { id: string; state: ReturnType<typeof useUrlRange> }) {
  const { state, id } = props;
  const today = isoDay(new Date());
  return (
    <>
      <div class="field">
        <label for={`${id}-range`}>Date range</label>
        <select id={`${id}-range`} value={state.preset} onChange={(event) => state.choose((event.target as HTMLSelectElement).value)}>
          {PRESETS.map((p) => (
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
