import { addDays, browserTimeZone, dayStart, daysBetween, isDayStart, localDay, utcOffset, validTimeZone, zoneChoices } from './time-zone';

describe('dashboard time zones', () => {
  it('finds local days and their first instants, whole-hour and quarter-hour zones alike', () => {
    expect(dayStart('2025-08-04', 'Asia/Kathmandu').toISOString()).toBe('2025-08-03T18:15:00.000Z');
    expect(dayStart('2025-08-04', 'America/Los_Angeles').toISOString()).toBe('2025-08-04T07:00:00.000Z');
    expect(dayStart('2025-08-04', 'UTC').toISOString()).toBe('2025-08-04T00:00:00.000Z');
    expect(localDay(new Date('2025-08-03T18:14:59Z'), 'Asia/Kathmandu')).toBe('2025-08-03');
    expect(localDay(new Date('2025-08-03T18:15:00Z'), 'Asia/Kathmandu')).toBe('2025-08-04');
    expect(localDay(new Date('2025-08-04T06:59:59Z'), 'America/Los_Angeles')).toBe('2025-08-03');
  });

  it('counts a DST day as 23 or 25 hours, and starts a day whose midnight is skipped after the gap', () => {
    const hours = (day: string, zone: string) => (dayStart(addDays(day, 1), zone).getTime() - dayStart(day, zone).getTime()) / 3_600_000;
    expect(hours('2025-03-30', 'Europe/London')).toBe(23);
    expect(hours('2025-10-26', 'Europe/London')).toBe(25);
    expect(hours('2025-04-06', 'Australia/Lord_Howe')).toBe(24.5);
    // Santiago springs forward at local midnight (2025-09-07 00:00 → 01:00, UTC−04 → UTC−03).
    expect(dayStart('2025-09-07', 'America/Santiago').toISOString()).toBe('2025-09-07T04:00:00.000Z');
    expect(isDayStart(new Date('2025-09-07T04:00:00Z'), 'America/Santiago')).toBe(true);
    expect(isDayStart(new Date('2025-09-07T03:00:00Z'), 'America/Santiago')).toBe(false);
  });

  it('does calendar arithmetic on day strings across months and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(daysBetween('2025-03-25', '2025-04-01')).toBe(7);
  });

  it('accepts IANA names (in their listed spelling) and refuses anything else', () => {
    expect(validTimeZone('Asia/Jakarta')).toBe('Asia/Jakarta');
    expect(validTimeZone('europe/london')).toBe('Europe/London');
    expect(validTimeZone('utc')).toBe('UTC');
    expect(validTimeZone('Mars/Olympus_Mons')).toBeNull();
    expect(validTimeZone('')).toBeNull();
    expect(validTimeZone(undefined)).toBeNull();
  });

  it("takes the browser's zone by its current name, and UTC when it has none", () => {
    expect(browserTimeZone('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(browserTimeZone('Asia/Katmandu')).toBe('Asia/Kathmandu');
    expect(browserTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(browserTimeZone(undefined)).toBe('UTC');
    expect(browserTimeZone('Nowhere/Else')).toBe('UTC');
  });

  it('names offsets, half and quarter hours included', () => {
    expect(utcOffset('Asia/Kathmandu', new Date('2025-08-04T00:00:00Z'))).toBe('UTC+05:45');
    expect(utcOffset('America/Los_Angeles', new Date('2025-01-04T00:00:00Z'))).toBe('UTC−08:00');
    expect(utcOffset('America/St_Johns', new Date('2025-01-04T00:00:00Z'))).toBe('UTC−03:30');
    expect(utcOffset('UTC', new Date())).toBe('UTC');
  });

  it('offers the browser zone and UTC first, then every other zone once, by region', () => {
    const all = ['Europe/London', 'America/New_York', 'Asia/Jakarta', 'America/Argentina/Salta', 'Europe/Berlin'];
    expect(zoneChoices('Europe/Berlin', 'Asia/Jakarta', all)).toEqual({
      suggested: ['Europe/Berlin', 'UTC'],
      regions: [
        { region: 'America', zones: ['America/Argentina/Salta', 'America/New_York'] },
        { region: 'Asia', zones: ['Asia/Jakarta'] },
        { region: 'Europe', zones: ['Europe/London'] },
      ],
    });
    // The browser in UTC: listed once. A selected alias the list lacks is still offered.
    expect(zoneChoices('UTC', 'Asia/Calcutta', all).suggested).toEqual(['UTC', 'Asia/Calcutta']);
    // Zones ICU lists by a replaced name are offered by their current one.
    expect(zoneChoices('UTC', 'UTC', ['Asia/Calcutta', 'Asia/Katmandu', 'Europe/Kiev']).regions).toEqual([
      { region: 'Asia', zones: ['Asia/Kathmandu', 'Asia/Kolkata'] },
      { region: 'Europe', zones: ['Europe/Kyiv'] },
    ]);
    // The real list holds hundreds of zones, with no repeats.
    const real = zoneChoices('Europe/Berlin', 'Europe/Berlin');
    const zones = [...real.suggested, ...real.regions.flatMap((r) => r.zones)];
    expect(zones.length).toBeGreaterThan(300);
    expect(new Set(zones).size).toBe(zones.length);
    expect(zones).toEqual(expect.arrayContaining(['Asia/Kathmandu', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Los_Angeles', 'Europe/London']));
    expect(zones).not.toContain('Asia/Katmandu');
  });
});
