import { ValidationFailedError } from '../../shared/errors';
import { cohortPeriodsOf, periodsOf } from './periods';

const d = (day: string) => new Date(`${day}T00:00:00.000Z`);
const show = (periods: ReturnType<typeof periodsOf>) =>
  periods.map((p) => `${p.label} ${p.from.toISOString().slice(0, 10)}..${p.till.toISOString().slice(0, 10)}`);

describe('periodsOf', () => {
  it('gives every day of an inclusive range', () => {
    expect(show(periodsOf('day', d('2025-08-30'), d('2025-09-01')))).toEqual([
      '2025-08-30 2025-08-30..2025-08-31',
      '2025-08-31 2025-08-31..2025-09-01',
      '2025-09-01 2025-09-01..2025-09-02',
    ]);
  });

  it('labels ISO weeks by their Monday, even before from, and clips them to the range', () => {
    // 2025-08-06 is a Wednesday; 2025-08-18 a Monday.
    expect(show(periodsOf('week', d('2025-08-06'), d('2025-08-18')))).toEqual([
      '2025-08-04 2025-08-06..2025-08-11',
      '2025-08-11 2025-08-11..2025-08-18',
      '2025-08-18 2025-08-18..2025-08-19',
    ]);
    // A week across a year boundary: 2024-12-30 is the Monday of ISO week 2025-W01.
    expect(show(periodsOf('week', d('2025-01-01'), d('2025-01-01')))).toEqual(['2024-12-30 2025-01-01..2025-01-02']);
  });

  it('labels months by their 1st and clips them, leap February included', () => {
    expect(show(periodsOf('month', d('2024-01-15'), d('2024-03-02')))).toEqual([
      '2024-01-01 2024-01-15..2024-02-01',
      '2024-02-01 2024-02-01..2024-03-01',
      '2024-03-01 2024-03-01..2024-03-03',
    ]);
  });

  it('looks back N days for each day with rolling, even before from', () => {
    expect(show(periodsOf('day', d('2025-08-10'), d('2025-08-11'), 7))).toEqual([
      '2025-08-10 2025-08-04..2025-08-11',
      '2025-08-11 2025-08-05..2025-08-12',
    ]);
    expect(show(periodsOf('day', d('2025-08-10'), d('2025-08-10'), 1))).toEqual(['2025-08-10 2025-08-10..2025-08-11']);
  });

  it('refuses a reversed range, rolling with weeks or months, and more than 1000 periods', () => {
    expect(() => periodsOf('day', d('2025-08-10'), d('2025-08-09'))).toThrow(ValidationFailedError);
    expect(() => periodsOf('week', d('2025-08-10'), d('2025-08-20'), 7)).toThrow(ValidationFailedError);
    expect(periodsOf('day', d('2020-01-01'), new Date(d('2020-01-01').getTime() + 999 * 86_400_000))).toHaveLength(1000);
    expect(() => periodsOf('day', d('2020-01-01'), new Date(d('2020-01-01').getTime() + 1000 * 86_400_000))).toThrow(/1000/);
  });
});

describe('cohortPeriodsOf', () => {
  const spans = (periods: ReturnType<typeof cohortPeriodsOf>) => periods.map((p) => `${p.label} ${p.from.toISOString()}..${p.till.toISOString()}`);

  it('gives the whole periods starting in [from, till): the last one runs to its own end', () => {
    expect(spans(cohortPeriodsOf('week', d('2025-08-04'), d('2025-08-12')))).toEqual([
      '2025-08-04 2025-08-04T00:00:00.000Z..2025-08-11T00:00:00.000Z',
      '2025-08-11 2025-08-11T00:00:00.000Z..2025-08-18T00:00:00.000Z',
    ]);
    expect(spans(cohortPeriodsOf('month', d('2024-02-01'), d('2024-03-01')))).toEqual(['2024-02-01 2024-02-01T00:00:00.000Z..2024-03-01T00:00:00.000Z']);
  });

  it('follows the local calendar of the zone, DST days of 23 or 25 hours included', () => {
    // London, 2025-10-26: 25 hours; Lord Howe, 2025-10-05: 23 and a half (+10:30 → +11:00).
    expect(spans(cohortPeriodsOf('day', d('2025-10-26'), d('2025-10-27'), 'Europe/London'))).toEqual([
      '2025-10-26 2025-10-25T23:00:00.000Z..2025-10-27T00:00:00.000Z',
    ]);
    const [howe] = cohortPeriodsOf('day', d('2025-10-05'), d('2025-10-06'), 'Australia/Lord_Howe');
    expect(howe.till.getTime() - howe.from.getTime()).toBe(23.5 * 3_600_000);
    expect(spans(cohortPeriodsOf('week', d('2025-08-04'), d('2025-08-05'), 'Asia/Kathmandu'))).toEqual([
      '2025-08-04 2025-08-03T18:15:00.000Z..2025-08-10T18:15:00.000Z',
    ]);
  });

  it('refuses a from that starts no period (naming from), an empty range and more than 400 periods (naming till)', () => {
    const paths = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as ValidationFailedError).errors.map((e) => e.path);
      }
      return [];
    };
    expect(paths(() => cohortPeriodsOf('week', d('2025-08-05'), d('2025-08-20')))).toEqual(['from']);
    expect(paths(() => cohortPeriodsOf('month', d('2025-08-02'), d('2025-09-20')))).toEqual(['from']);
    expect(paths(() => cohortPeriodsOf('day', d('2025-08-02'), d('2025-08-02')))).toEqual(['till']);
    expect(cohortPeriodsOf('month', d('2000-01-01'), d('2033-05-01'))).toHaveLength(400);
    expect(paths(() => cohortPeriodsOf('month', d('2000-01-01'), d('2033-05-02')))).toEqual(['till']);
  });
});
