import { useEffect, useMemo } from 'preact/hooks';
import { browserTimeZone, utcOffset, validTimeZone, zoneChoices } from '../lib/time-zone';
import { useUrlState } from '../lib/url-state';

export interface UrlTimeZone {
  /** The zone in force: the URL's `tz` when it is a zone, otherwise the browser's. */
  zone: string;
  /** The browser's own zone (the default). */
  browser: string;
  choose: (zone: string) => void;
}

/**
 * The time zone in the URL (`tz`). Without one, the browser's zone applies and is written
 * into the URL at once (replacing the history entry), so that a link copied from the address
 * bar shows the same figures to someone in another zone. A `tz` that names no zone is
 * replaced by the browser's the same way.
 */
export function useUrlTimeZone(): UrlTimeZone {
  const { query, set } = useUrlState();
  const browser = useMemo(browserTimeZone, []);
  const fromUrl = validTimeZone(query.tz);
  const zone = fromUrl ?? browser;
  useEffect(() => {
    if (query.tz !== zone) set({ tz: zone });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query.tz, zone]);
  return {
    zone,
    browser,
    choose: (value) => set({ tz: validTimeZone(value) ?? browser }, { push: true }),
  };
}

/**
 * The zone selector: a native <select> (type-ahead, keyboard and screen readers for free)
 * with the browser's zone and UTC first, then every IANA zone the browser knows by region.
 */
export function TimeZoneSelect(props: { id: string; state: UrlTimeZone }) {
  const { state, id } = props;
  const choices = useMemo(() => zoneChoices(state.browser, state.zone), [state.browser, state.zone]);
  return (
    <div class="field">
      <label for={`${id}-tz`}>Time zone</label>
      <select id={`${id}-tz`} value={state.zone} onChange={(event) => state.choose((event.target as HTMLSelectElement).value)}>
        <optgroup label="Suggested">
          {choices.suggested.map((zone) => (
            <option key={zone} value={zone}>
              {zone === state.browser ? `${zone} (this browser)` : zone}
            </option>
          ))}
        </optgroup>
        {choices.regions.map((group) => (
          <optgroup key={group.region} label={group.region}>
            {group.zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

/** "Days are local days of Asia/Kathmandu (now UTC+05:45).", or "Days are UTC days." */
export function zoneSentence(zone: string): string {
  if (zone === 'UTC') return 'Days are UTC days.';
  return `Days are local days of ${zone} (now ${utcOffset(zone, new Date())}).`;
}
