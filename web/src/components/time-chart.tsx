import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatExact } from '../lib/format';

export interface Series {
  label: string;
  values: Array<number | null>;
  /** A CSS colour; each series also differs by dash, so colour is never the only cue. */
  color: string;
  dash?: number[];
}

/**
 * A time-series line chart (uPlot: about 20 KB gzipped, draws thousands of points in a
 * millisecond) with its exact figures in a table beside it, which is also what screen
 * readers get: the canvas is hidden from them.
 */
export function TimeChart(props: {
  caption: string;
  /** Instants of the points, in milliseconds. */
  times: number[];
  series: Series[];
  height?: number;
  /** How the table names a point's time. */
  formatTime?: (ms: number) => string;
  /** The zone the axis reads the times in (the browser's when absent). */
  timeZone?: string;
}) {
  const target = useRef<HTMLDivElement>(null);
  const height = props.height ?? 240;
  useEffect(() => {
    const element = target.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: element.clientWidth || 600,
        height,
        // One point alone would make uPlot spread the axis over years (its one-point default of
        // 86400 / ms "seconds"): show the half day either side of it instead.
        scales: {
          x: props.times.length === 1 ? { time: true, auto: false, range: [props.times[0] / 1000 - 43_200, props.times[0] / 1000 + 43_200] } : { time: true },
        },
        ...(props.timeZone ? { tzDate: (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), props.timeZone!) } : {}),
        series: [
          {},
          ...props.series.map((series) => ({
            label: series.label,
            stroke: series.color,
            dash: series.dash,
            width: 2,
            value: (_: uPlot, value: number | null) => (value === null ? '–' : formatExact(value)),
          })),
        ],
        axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map((tick) => formatExact(tick)) }],
      },
      [props.times.map((ms) => ms / 1000), ...props.series.map((series) => series.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [props.times, props.series, height, props.timeZone]);
  const formatTime = props.formatTime ?? ((ms: number) => new Date(ms).toISOString().slice(0, 10));
  return (
    <figure class="chart">
      <div ref={target} class="chart-canvas" aria-hidden="true" style={{ minHeight: `${height + 40}px` }} />
      <figcaption>
        <details>
          <summary>{props.caption}: the figures as a table</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {props.series.map((series) => (
                  <th scope="col" key={series.label}>
                    {series.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.times.map((ms, index) => (
                <tr key={ms}>
                  <th scope="row">{formatTime(ms)}</th>
                  {props.series.map((series) => (
                    <td key={series.label}>{series.values[index] === null ? '–' : formatExact(series.values[index]!)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
