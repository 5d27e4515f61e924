import { ActivityWindow } from '../../domain/activity-window';
import { formatRun } from './cli-output';

const window = ActivityWindow.startingAt(new Date('2025-10-23T08:00:00.000Z'));

describe('formatRun', () => {
  it('prints one line per computed window after a count and the elapsed time', () => {
    expect(formatRun([{ window, users: 2, events: 5 }], { json: false, elapsedMs: 12 })).toEqual([
      'Computed 1 window(s) in 12 ms:',
      '  2025-10-23T08:00:00.000Z – 2025-10-23T12:00:00.000Z  2 users, 5 events',
    ]);
  });

  it('says so when there was nothing to compute', () => {
    expect(formatRun([], { json: false, elapsedMs: 3 })).toEqual(['Nothing to compute: every ended window is up to date.']);
  });

  it('prints one JSON object with --json, in the fields of the HTTP run response', () => {
    expect(formatRun([{ window, users: 2, events: 5 }], { json: true, elapsedMs: 12 }).map((l) => JSON.parse(l))).toEqual([
      {
        windows: [
          { window_start: '2025-10-23T08:00:00.000Z', window_end: '2025-10-23T12:00:00.000Z', users: 2, events: 5, status: 'computed' },
        ],
      },
    ]);
  });
});
