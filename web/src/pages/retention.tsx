import { api, call, type Schemas } from '../api/client';
import { Card } from '../components/card';
import { RangeControls, useUrlRange } from '../components/range-controls';
import { TimeZoneSelect, useUrlTimeZone, zoneSentence } from '../components/time-zone-select';
import type { Preset } from '../lib/date-range';
import { formatCompact, formatExact } from '../lib/format';
import { formatDay, siteOptions } from '../lib/overview-data';
import {
  heatLegend,
  heatRows,
  isMode,
  isPeriod,
  MODE_LABELS,
  MODES,
  offsetLabel,
  PERIOD_LABELS,
  PERIODS,
  retentionDays,
  type Mode,
  type Period,
} from '../lib/retention';
import { addDays } from '../lib/time-zone';
import { useAsync } from '../lib/use-async';
import { useUrlState } from '../lib/url-state';

type RetentionAnswer = Schemas['RetentionResponse'];

const DEFAULT_PERIOD: Period = 'week';
const DEFAULT_PRESET: Preset = '90d';
/** Cohort ranges are whole days: no "last 24 hours", and "today" is a single cohort. */
const RANGE_PRESETS: readonly Preset[] = ['7d', '30d', '90d', 'month', 'custom'];
/** The route counts only these actions besides every action (see its OpenAPI). */
const ACTIONS = ['login'] as const;

/**
 * Retention: for each cohort period, its users (first seen in it, or with mode=returning
 * every user active in it) and the share of them active in each following period, as a
 * heat-map table from GET /api/analytics/retention. Periods are local days, ISO weeks or
 * months of the chosen time zone. Everything is in the URL.
 */
export function Retention() {
  const { query, set } = useUrlState();
  const timeZone = useUrlTimeZone();
  const tz = timeZone.zone;
  const urlRange = useUrlRange(DEFAULT_PRESET, tz, RANGE_PRESETS);
  const period: Period = isPeriod(query.period) ? query.period : DEFAULT_PERIOD;
  const mode: Mode = isMode(query.mode) ? query.mode : 'new';
  const siteId = query.site_id || undefined;
  const action = (ACTIONS as readonly string[]).includes(query.action ?? '') ? (query.action as (typeof ACTIONS)[number]) : undefined;
  const asked = retentionDays(period, urlRange.days);

  const matrix = useAsync(
    (signal): Promise<RetentionAnswer> =>
      call(api.GET('/api/analytics/retention', { params: { query: { period, ...asked, mode, tz, site_id: siteId, action } }, signal })),
    [period, asked.from, asked.till, mode, tz, siteId, action],
  );
  // The site filter offers the sites with events in the range (as the overview's split lists them).
  const sites = useAsync(
    (signal) =>
      call(api.GET('/api/analytics/overview', { params: { query: { from: asked.from, till: asked.till, tz, top: 1 } }, signal })).then((a) => a.sites),
    [asked.from, asked.till, tz],
  );
  const ready = matrix.status !== 'loading' && sites.status !== 'loading';
  const choose = (name: string) => (event: Event) => set({ [name]: (event.target as HTMLSelectElement).value }, { push: true });

  return (
    <main id="main" data-ready={ready ? 'true' : 'false'}>
      <h1>Retention</h1>
      <div class="toolbar" role="group" aria-label="Cohorts">
        <div class="field">
          <label for="retention-period">Cohort period</label>
          <select id="retention-period" value={period} onChange={(e) => set({ period: (e.target as HTMLSelectElement).value === DEFAULT_PERIOD ? undefined : (e.target as HTMLSelectElement).value }, { push: true })}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {PERIOD_LABELS[p]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="retention-mode">Cohorts of</label>
          <select id="retention-mode" value={mode} onChange={choose('mode')}>
            {MODES.map((m) => (
              <option key={m} value={m}>
                {MODE_LABELS[m]}
              </option>
            ))}
          </select>
        </div>
        <RangeControls id="retention" state={urlRange} />
        <TimeZoneSelect id="retention" state={timeZone} />
        <div class="field">
          <label for="retention-site">Site</label>
          <select id="retention-site" value={siteId ?? ''} onChange={choose('site_id')}>
            <option value="">All sites</option>
            {siteOptions(sites.data ?? [], siteId).map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="retention-action">Counting</label>
          <select id="retention-action" value={action ?? ''} onChange={choose('action')}>
            <option value="">Every action</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a} events only
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="hint range-note">
        <span data-from={asked.from} data-till={asked.till}>
          Cohorts starting {formatDay(asked.from)} – {formatDay(addDays(asked.till, -1))}
        </span>
        {siteId ? ` on ${siteId}` : ', all sites'}
        {action ? `, counting ${action} events only` : ''}. {zoneSentence(tz)}
        {period === 'week' ? ' Weeks start on Monday.' : ''}
      </p>

      <Card title="Cohorts" class="wide" state={matrix} isEmpty={(a) => a.cohorts.every((c) => c.users === 0)} empty="No users in these cohorts." minHeight={260}>
        {(answer) => <CohortTable answer={answer} />}
      </Card>
    </main>
  );
}

/**
 * The matrix as a real table: a row per cohort (its period and size as row headers), a column
 * per period offset. Each cell shows its percentage as text, says the count in words (title,
 * and visually hidden text for screen readers), and repeats the value as colour.
 */
function CohortTable(props: { answer: RetentionAnswer }) {
  const period = props.answer.period as Period;
  const { offsets, rows } = heatRows(period, props.answer.cohorts);
  const unit = PERIOD_LABELS[period].toLowerCase();
  return (
    <>
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Cohort matrix, scrollable">
        <table class="heat-map">
          <caption>
            Share of each cohort active in the {unit}s after its own ({unit} 0), {props.answer.mode === 'new' ? 'new users' : 'all active users'},{' '}
            {props.answer.tz}
          </caption>
          <thead>
            <tr>
              <th scope="col">Cohort</th>
              <th scope="col" class="number">
                Users
              </th>
              {offsets.map((offset) => (
                <th scope="col" key={offset} class="number">
                  {offsetLabel(period, offset)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.periodStart} data-period-start={row.periodStart}>
                <th scope="row">
                  <time dateTime={row.periodStart}>{row.label}</time>
                </th>
                <td class="number">
                  <data value={String(row.users)} title={formatExact(row.users)}>
                    {formatCompact(row.users)}
                  </data>
                </td>
                {row.cells.map((cell) =>
                  cell.active === null ? (
                    <td key={cell.offset} class="heat heat-none">
                      <span class="visually-hidden">{cell.description}</span>
                    </td>
                  ) : (
                    <td
                      key={cell.offset}
                      class={`heat number heat-${cell.level ?? 'none'}`}
                      title={cell.description}
                      data-active={String(cell.active)}
                      data-fraction={cell.fraction === null ? '' : String(cell.fraction)}
                    >
                      <span aria-hidden="true">{cell.text}</span>
                      <span class="visually-hidden">{cell.description}</span>
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul class="heat-legend" aria-label="Colour scale">
        {heatLegend().map((step) => (
          <li key={step.level}>
            <span class={`heat-swatch heat-${step.level}`} aria-hidden="true" />
            {step.label}
          </li>
        ))}
      </ul>
    </>
  );
}
