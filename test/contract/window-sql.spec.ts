import { DataSource } from 'typeorm';
import { WINDOW_INTERVAL, windowEndOf, windowStartOf } from '../../src/metrics/adapters/persistence/window-sql';
import { ActivityWindow } from '../../src/metrics/domain/activity-window';
import { openTestDataSource } from '../support/database';

/** The SQL form of the 4-hour rule gives exactly ActivityWindow's windows, in PostgreSQL. */
let dataSource: DataSource;
beforeAll(async () => {
  dataSource = await openTestDataSource([]);
});
afterAll(async () => {
  await dataSource.destroy();
});

const INSTANTS = [
  '2025-10-23T00:00:00.000Z',
  '2025-10-23T00:00:00.001Z',
  '2025-10-23T03:59:59.999Z',
  '2025-10-23T04:00:00.000Z',
  '2025-10-23T19:59:59.999Z',
  '2025-10-23T20:00:00.000Z',
  '2025-10-23T23:59:59.999Z',
  '2024-02-29T12:34:56.789Z',
  '2025-03-30T01:30:00.000Z', // a DST change in Europe: irrelevant to UTC windows
  '1970-01-01T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z', // before the epoch the bins still floor
  '1969-12-31T20:00:00.000Z',
  '1969-12-31T19:59:59.999Z',
  '1900-01-01T03:59:59.999Z',
];

describe('window SQL', () => {
  it.each(['UTC', 'America/New_York', 'Asia/Kolkata'])('puts every instant in the window ActivityWindow does (session time zone %s)', async (zone) => {
    const rows: Array<{ instant: string; start: Date; end: Date }> = await dataSource.transaction(async (tx) => {
      await tx.query(`SELECT set_config('TimeZone', $1, true)`, [zone]);
      return tx.query(
        `SELECT i AS instant, ${windowStartOf('i::timestamptz')} AS start, ${windowEndOf(windowStartOf('i::timestamptz'))} AS "end"
         FROM unnest($1::text[]) AS i`,
        [INSTANTS],
      );
    });
    expect(rows.map((r) => [r.instant, r.start.toISOString(), r.end.toISOString()])).toEqual(
      INSTANTS.map((i) => {
        const window = ActivityWindow.containing(new Date(i));
        return [i, window.start.toISOString(), window.end.toISOString()];
      }),
    );
  });

  it('steps from window to window by the window length', async () => {
    const [row]: Array<{ next: Date }> = await dataSource.query(`SELECT $1::timestamptz + ${WINDOW_INTERVAL} AS next`, [
      new Date('2025-10-23T20:00:00.000Z'),
    ]);
    expect(row.next.toISOString()).toBe(ActivityWindow.startingAt(new Date('2025-10-23T20:00:00.000Z')).next().start.toISOString());
  });
});
