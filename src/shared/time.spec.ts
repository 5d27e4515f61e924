import { dateProblem, instantProblem, isoDay, parseDate, parseInstant } from './time';

describe('parseInstant', () => {
  it.each([
    ['2025-10-23T13:07:00Z', '2025-10-23T13:07:00.000Z'],
    ['2025-10-23T13:07:00.123Z', '2025-10-23T13:07:00.123Z'],
    ['2025-10-23T13:07:00.123456Z', '2025-10-23T13:07:00.123Z'],
    ['2025-10-23T13:07Z', '2025-10-23T13:07:00.000Z'],
    ['2025-10-23T15:07:00+02:00', '2025-10-23T13:07:00.000Z'],
    ['2025-10-23T08:37:00-04:30', '2025-10-23T13:07:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T23:59:59.999Z', '2000-02-29T23:59:59.999Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['1970-01-01T01:00:00+01:00', '1970-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['2025-01-01T00:30:00+01:00', '2024-12-31T23:30:00.000Z'],
  ])('accepts %s as %s', (input, expected) => {
    expect(parseInstant(input)?.toISOString()).toBe(expected);
  });

  it.each([
    ['no zone', '2025-10-23T13:07:00'],
    ['no zone, fraction', '2025-10-23T13:07:00.000'],
    ['impossible day of month', '2025-10-257T22:07:00Z'],
    ['31 November', '2025-11-31T00:00:00Z'],
    ['29 February of a common year', '2025-02-29T00:00:00Z'],
    ['29 February of 1900', '1900-02-29T00:00:00Z'],
    ['month 13', '2025-13-01T00:00:00Z'],
    ['month 0', '2025-00-10T00:00:00Z'],
    ['hour 24', '2025-10-23T24:00:00Z'],
    ['minute 60', '2025-10-23T13:60:00Z'],
    ['leap second', '2025-12-31T23:59:60Z'],
    ['date only', '2025-10-23'],
    ['space separator', '2025-10-23 13:07:00Z'],
    ['offset without colon', '2025-10-23T13:07:00+0200'],
    ['offset minutes 60', '2025-10-23T13:07:00+01:60'],
    ['epoch number as text', '1761224820000'],
    ['empty', ''],
    ['trailing garbage', '2025-10-23T13:07:00Zx'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['year 1 with an offset that lands in year 0', '0001-01-01T00:30:00+01:00'],
    ['before the epoch', '1969-12-31T23:59:59.999Z'],
    ['the epoch, written with an offset that lands before it', '1970-01-01T00:30:00+01:00'],
    ['year 9999 with an offset that lands in year 10000', '9999-12-31T23:30:00-01:00'],
  ])('rejects %s (%s)', (_why, input) => {
    expect(parseInstant(input)).toBeNull();
  });
});

describe('parseDate', () => {
  it('parses a real calendar date as UTC midnight', () => {
    expect(parseDate('2025-08-09')?.toISOString()).toBe('2025-08-09T00:00:00.000Z');
    expect(parseDate('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });
  it.each(['2025-02-29', '2025-8-9', '2025-08-09T00:00:00Z', '2025-04-31', ''])('rejects %s', (input) => {
    expect(parseDate(input)).toBeNull();
  });
});

describe('instantProblem and dateProblem say what is wrong', () => {
  it.each([
    ['2025-10-23T13:07:00', /ISO-8601 date-time with a time zone/],
    ['2016-12-31T23:59:60Z', /leap second/],
    ['2025-02-30T00:00:00Z', /day that does not exist \(2025-02-30\)/],
    ['2025-10-23T24:00:00Z', /time of day that does not exist/],
    ['2025-10-23T13:00:00+24:00', /impossible UTC offset/],
    ['0000-01-01T00:00:00Z', /between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/],
    ['9999-12-31T23:30:00-01:00', /between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/],
  ])('%s', (input, message) => {
    expect(instantProblem(input)).toMatch(message);
  });
  it('accepts what parseInstant accepts', () => {
    expect(instantProblem('2025-10-23T13:07:00Z')).toBeNull();
    expect(instantProblem(5)).toMatch(/must be a string/);
  });
  it.each([
    ['2025-02-29', /does not exist/],
    ['1969-12-31', /between 1970-01-01 and 9999-12-31/],
    ['0000-01-01', /between 1970-01-01 and 9999-12-31/],
    ['2025-8-9', /YYYY-MM-DD/],
  ])('date %s', (input, message) => {
    expect(dateProblem(input)).toMatch(message);
  });
  it('accepts the last day of year 9999', () => {
    expect(dateProblem('9999-12-31')).toBeNull();
  });
});

describe('isoDay', () => {
  it('writes the day after 9999-12-31 as PostgreSQL reads it, not as +010000-01-01', () => {
    expect(isoDay(new Date(Date.UTC(9999, 11, 31) + 86_400_000))).toBe('10000-01-01');
    expect(isoDay(new Date(Date.UTC(1969, 11, 31)))).toBe('1969-12-31');
  });
});
