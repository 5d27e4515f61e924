import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { ANALYTICS_ROLLUP_PROJECTION } from '../../src/analytics/adapters/persistence/rollups.projection';
import { counterHours, piecesOf, TypeOrmAnalyticsReadModel } from '../../src/analytics/adapters/persistence/typeorm-analytics.read-model';
import { Interval, periodsOf } from '../../src/analytics/application/periods';
import { EventWriteProjections } from '../../src/tracking/application/event-write-projections';
import { EventOrmEntity } from '../../src/tracking/adapters/persistence/event.orm-entity';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { TrackedEvent } from '../../src/tracking/domain/tracked-event';
import { uuidv7 } from '../../src/shared/uuid';
import { startOfLocalDay } from '../../src/shared/time-zone';
import { CreateHourlyRollups1763700007000 } from '../../migrations/1763700007000-create-hourly-rollups';
import { CreateQuarterHourUserIds1763700008000 } from '../../migrations/1763700008000-create-quarter-hour-user-ids';
import { CreateSixHourUserSets1763700010000 } from '../../migrations/1763700010000-create-six-hour-user-sets';
import { CreateMonthlyUserSets1763700011000 } from '../../migrations/1763700011000-create-monthly-user-sets';
import { openTestDataSource } from '../support/database';
import { truncateAll } from '../support/test-app';

/**
 * Analytics in local time: every answer in a zone must be what the raw events give when each
 * is put on its local calendar date — computed here with Intl.DateTimeFormat, independently of
 * the service's own conversion — across DST changes (London, Los Angeles, Adelaide, Lord Howe's
 * half hour), half- and quarter-hour offsets (Kolkata, Kathmandu, Chatham, St John's), for days,
 * ISO weeks, months and rolling windows, and for the overview of local days.
 */
let db: DataSource;
let events: TypeOrmEventRepository;
let analytics: TypeOrmAnalyticsReadModel;
beforeAll(async () => {
  db = await openTestDataSource([EventOrmEntity]);
  const projections = new EventWriteProjections();
  projections.register(ANALYTICS_ROLLUP_PROJECTION);
  events = new TypeOrmEventRepository(db.getRepository(EventOrmEntity), projections);
  analytics = new TypeOrmAnalyticsReadModel(db);
});
afterAll(async () => {
  await db.destroy();
});

const DAY = 86_400_000;
const QUARTER = 900_000;
const ZONES = [
  'UTC', 'Europe/London', 'America/Los_Angeles', 'Australia/Adelaide', 'Australia/Lord_Howe', 'Asia/Kathmandu',
  'Asia/Kolkata', 'Asia/Jakarta', 'Pacific/Chatham', 'America/St_Johns',
];
// Around DST changes: Los Angeles 2025-03-09 and 11-02; London 03-30 and 10-26; Adelaide and
// Lord Howe 04-06 and 10-05 (Lord Howe by 30 minutes). Each window spans 12 days.
const ANCHORS = ['2025-03-02', '2025-03-24', '2025-03-31', '2025-09-29', '2025-10-20', '2025-10-27'].map((d) => Date.parse(`${d}T00:00:00Z`));
const SPAN = 12 * DAY;
const SITES = [null, 's1', 's2'];

// Instants bunched on quarter hours (exactly, and a millisecond either side) and spread otherwise.
const offsetArb = fc.oneof(
  fc.integer({ min: 0, max: SPAN - 1 }),
  fc.integer({ min: 1, max: SPAN / QUARTER - 1 }).chain((q) => fc.constantFrom(q * QUARTER, q * QUARTER - 1, q * QUARTER + 1)),
);
const eventArb = fc.record({
  userId: fc.option(fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'), { nil: null, freq: 6 }),
  action: fc.constantFrom('page_view', 'click', 'login'),
  offset: offsetArb,
  siteId: fc.constantFrom(...SITES),
  path: fc.constantFrom(null, '/a', '/b'),
});
type Gen = { userId: string | null; action: string; offset: number; siteId: string | null; path: string | null };

const toEvent = (anchor: number) => (g: Gen): TrackedEvent => ({
  id: uuidv7(),
  userId: g.userId,
  action: g.action,
  occurredAt: new Date(anchor + g.offset),
  receivedAt: new Date(),
  metadata: {},
  siteId: g.siteId,
  path: g.path,
});

/** The reference's own calendar: the local date of an instant by Intl.DateTimeFormat. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function localDate(zone: string, t: Date): string {
  let f = formatters.get(zone);
  if (!f) formatters.set(zone, (f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(t);
}
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const lastOfMonth = (day: string) => new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)), 0)).toISOString().slice(0, 10);
const max = (a: string, b: string) => (a > b ? a : b);
const min = (a: string, b: string) => (a < b ? a : b);

/** Per period label, the distinct users whose events' local dates fall in the period's days (inclusive). */
function referenceUsers(all: TrackedEvent[], q: { interval: Interval; from: string; to: string; rolling?: number; zone: string; siteId?: string; action?: string }, labels: string[]): number[] {
  return labels.map((label) => {
    let [lo, hi] = [label, label];
    if (q.rolling !== undefined) lo = addDays(label, 1 - q.rolling);
    else if (q.interval === 'week') [lo, hi] = [max(label, q.from), min(addDays(label, 6), q.to)];
    else if (q.interval === 'month') [lo, hi] = [max(label, q.from), min(lastOfMonth(label), q.to)];
    const users = all
      .filter((e) => e.userId !== null && (q.siteId === undefined || e.siteId === q.siteId) && (q.action === undefined || e.action === q.action))
      .filter((e) => {
        const d = localDate(q.zone, e.occurredAt);
        return d >= lo && d <= hi;
      })
      .map((e) => e.userId);
    return new Set(users).size;
  });
}

/** The overview of the local days [from, till) (exclusive), by local dates of the events. */
function referenceOverview(all: TrackedEvent[], inRange: (e: TrackedEvent) => boolean, siteId: string | undefined, before: (e: TrackedEvent) => boolean) {
  const of = all.filter((e) => inRange(e) && (siteId === undefined || e.siteId === siteId));
  // New users: none of their events (of the site) is before the range.
  const seenBefore = (userId: string | null) => all.some((e) => e.userId === userId && before(e) && (siteId === undefined || e.siteId === siteId));
  const byAction: Record<string, number> = {};
  for (const e of of) byAction[e.action] = (byAction[e.action] ?? 0) + 1;
  const views = new Map<string, number>();
  for (const e of of) if (e.action === 'page_view' && e.path !== null) views.set(e.path, (views.get(e.path) ?? 0) + 1);
  return {
    totalEvents: of.length,
    uniqueUsers: new Set(of.filter((e) => e.userId !== null).map((e) => e.userId)).size,
    newUsers: new Set(of.filter((e) => e.userId !== null && !seenBefore(e.userId)).map((e) => e.userId)).size,
    eventsByAction: byAction,
    topPaths: [...views.entries()].sort(([pa, a], [pb, b]) => b - a || (pa < pb ? -1 : 1)).map(([path, n]) => ({ path, views: n })),
    siteUsers: Object.fromEntries(
      [...new Set(of.map((e) => e.siteId))].map((s) => [String(s), new Set(of.filter((e) => e.siteId === s && e.userId !== null).map((e) => e.userId)).size]),
    ),
  };
}

const question = fc.record({
  zone: fc.constantFrom(...ZONES),
  interval: fc.constantFrom<Interval>('day', 'week', 'month'),
  firstDay: fc.integer({ min: -2, max: 12 }),
  days: fc.integer({ min: 0, max: 12 }),
  rolling: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
  siteId: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
  action: fc.constantFrom(undefined, 'login'),
  // overview: local dates [from, till), or instants on (and a millisecond off) quarter hours
  overviewDays: fc.tuple(fc.integer({ min: -1, max: 12 }), fc.integer({ min: 0, max: 4 })),
  instants: fc.tuple(offsetArb, fc.integer({ min: 0, max: 3 * DAY })),
});
type Question = typeof question extends fc.Arbitrary<infer Q> ? Q : never;

async function check(all: TrackedEvent[], anchor: number, q: Question) {
  const from = new Date(anchor + q.firstDay * DAY);
  const to = new Date(from.getTime() + q.days * DAY);
  const rolling = q.interval === 'day' ? q.rolling : undefined;
  const periods = periodsOf(q.interval, from, to, rolling, q.zone);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const asked = { interval: q.interval, from: day(from), to: day(to), rolling, zone: q.zone, siteId: q.siteId, action: q.action };
  expect({ asked, users: await analytics.uniqueUsers(periods, { siteId: q.siteId, action: q.action }) }).toEqual({
    asked,
    users: referenceUsers(all, asked, periods.map((p) => p.label)),
  });

  // The overview of local days [first, first + n) of the zone.
  const [firstDay, n] = q.overviewDays;
  const localFrom = day(new Date(anchor + firstDay * DAY));
  const localTill = addDays(localFrom, n);
  const range = { from: startOfLocalDay(q.zone, new Date(`${localFrom}T00:00:00Z`)), till: startOfLocalDay(q.zone, new Date(`${localTill}T00:00:00Z`)) };
  const byDate = (e: TrackedEvent) => localDate(q.zone, e.occurredAt) >= localFrom && localDate(q.zone, e.occurredAt) < localTill;
  await expectOverview(all, range, byDate, (e) => localDate(q.zone, e.occurredAt) < localFrom, q.siteId, { zone: q.zone, localFrom, localTill });
  // And of a range of instants on or near quarter hours (the sub-hour edges of any zone).
  const lo = new Date(anchor + q.instants[0]);
  const hi = new Date(lo.getTime() + q.instants[1]);
  await expectOverview(all, { from: lo, till: hi }, (e) => e.occurredAt >= lo && e.occurredAt < hi, (e) => e.occurredAt < lo, q.siteId, { lo, hi });
}

async function expectOverview(
  all: TrackedEvent[], range: { from: Date; till: Date }, inRange: (e: TrackedEvent) => boolean, before: (e: TrackedEvent) => boolean, siteId: string | undefined, asked: object,
) {
  const got = await analytics.overview({ ...range, siteId, top: 100 });
  const ref = referenceOverview(all, inRange, siteId, before);
  expect({ asked, got: { ...got, sites: undefined, pageViews: undefined, siteUsers: Object.fromEntries(got.sites.map((s) => [String(s.siteId), s.uniqueUsers])) } }).toEqual({
    asked,
    got: { ...ref, sites: undefined, pageViews: undefined },
  });
}

async function store(all: TrackedEvent[], size: number) {
  for (let i = 0; i < all.length; i += size) await events.insertNew(all.slice(i, i + size));
}

describe('analytics in local time zones', () => {
  beforeEach(async () => {
    await truncateAll(db);
  });

  it('answer unique users per local day, week, month and rolling window, and the overview of local days, exactly as the raw events do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ANCHORS),
        fc.array(eventArb, { minLength: 0, maxLength: 120, size: 'max' }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(question, { minLength: 1, maxLength: 10, size: 'max' }),
        async (anchor, gens, size, questions) => {
          await truncateAll(db);
          const all = gens.map(toEvent(anchor));
          await store(all, size);
          for (const q of questions) await check(all, anchor, q);
        },
      ),
      { numRuns: process.env.TEST_DATABASE_IN_PLACE === '1' ? 15 : 40 },
    );
  }, 300_000);

  it('count a DST day as 23 or 25 hours: a user active only in the extra hour belongs to that day', async () => {
    // London, 2025-10-26: 01:00–02:00 local happens twice (00:00–01:00Z and 01:00–02:00Z); the
    // day runs 2025-10-25T23:00Z … 2025-10-27T00:00Z. 2025-03-30: 23 hours, from 00:00Z to 23:00Z.
    const at = (iso: string, userId: string) => toEvent(0)({ userId, action: 'click', offset: Date.parse(iso), siteId: null, path: null });
    const all = [
      at('2025-10-25T23:30:00Z', 'early'), at('2025-10-26T01:30:00Z', 'repeat'), at('2025-10-26T23:59:59.999Z', 'late'),
      at('2025-10-25T22:59:59.999Z', 'before'), at('2025-10-27T00:00:00Z', 'after'),
      at('2025-03-30T00:00:00Z', 'spring'), at('2025-03-30T22:59:59.999Z', 'spring-late'), at('2025-03-30T23:00:00Z', 'next'),
    ];
    await store(all, 3);
    const d = (day: string) => new Date(`${day}T00:00:00Z`);
    const october = periodsOf('day', d('2025-10-26'), d('2025-10-26'), undefined, 'Europe/London');
    expect(october[0].till.getTime() - october[0].from.getTime()).toBe(25 * 3_600_000);
    expect(await analytics.uniqueUsers(october)).toEqual([3]);
    const march = periodsOf('day', d('2025-03-30'), d('2025-03-31'), undefined, 'Europe/London');
    expect(march[0].till.getTime() - march[0].from.getTime()).toBe(23 * 3_600_000);
    expect(await analytics.uniqueUsers(march)).toEqual([2, 1]);
  });

  it('backfill the hourly rollups, quarter-hour user ids, six-hour and monthly user sets from existing events (migrations 1763700007000, 1763700008000, 1763700010000, 1763700011000) exactly as the writes maintain them', async () => {
    const anchor = ANCHORS[5];
    const all = fc.sample(eventArb, { numRuns: 300, seed: 15 }).map(toEvent(anchor));
    await store(all, 37);
    // one row: each rollup table's rows as JSON
    const snapshot = async () =>
      (await db.query(`SELECT (SELECT json_agg(t ORDER BY t::text) FROM analytics_hourly_actions t) AS a,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_hourly_paths t) AS p,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_hourly_user_sets t) AS s,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_hourly_users t) AS u,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_quarter_user_ids t) AS q,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_six_hour_users t) AS b,
                       (SELECT json_agg(t ORDER BY t::text) FROM analytics_monthly_users t) AS m`))[0];
    const written = await snapshot();
    expect(written.a).not.toBeNull();
    expect(written.u).not.toBeNull();
    expect(written.q).not.toBeNull();
    expect(written.b).not.toBeNull();
    // the events span two months (2025-10-27 + 12 days): month rows for both
    expect(new Set(written.m.map((r: { month: string }) => r.month)).size).toBe(2);
    // the writes keep each six-hour block the OR of its hours over all sites, blocks from 00:00 UTC
    const [{ blocks, hours }] = await db.query(
      `SELECT (SELECT count(*)::int FROM analytics_six_hour_users WHERE extract(hour FROM six_hour AT TIME ZONE 'UTC')::int % 6 = 0
                 AND date_trunc('hour', six_hour) = six_hour) AS blocks,
              (SELECT count(DISTINCT (date_bin('6 hours', hour, TIMESTAMPTZ '1970-01-01 00:00:00+00'), action, chunk))::int FROM analytics_hourly_users) AS hours`,
    );
    expect(blocks).toBe(hours);
    const runner = db.createQueryRunner();
    try {
      await runner.startTransaction();
      for (const migration of [new CreateMonthlyUserSets1763700011000(), new CreateSixHourUserSets1763700010000()]) await migration.down(runner);
      for (const migration of [new CreateSixHourUserSets1763700010000(), new CreateMonthlyUserSets1763700011000()]) await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(await snapshot()).toEqual(written);
    // the writes keep each quarter's ids sorted and without duplicates
    const [{ unsorted }] = await db.query(
      `SELECT count(*)::int AS unsorted FROM analytics_quarter_user_ids WHERE uids <> ARRAY(SELECT DISTINCT x FROM unnest(uids) x ORDER BY x)`,
    );
    expect(unsorted).toBe(0);
    const again = db.createQueryRunner();
    try {
      await again.startTransaction();
      const later = [new CreateHourlyRollups1763700007000(), new CreateQuarterHourUserIds1763700008000(), new CreateSixHourUserSets1763700010000(), new CreateMonthlyUserSets1763700011000()];
      for (const migration of [...later].reverse()) await migration.down(again);
      for (const migration of later) await migration.up(again);
      await again.commitTransaction();
    } finally {
      await again.release();
    }
    expect(await snapshot()).toEqual(written);
  });

  it('count as seen before a date every user of the earlier months and of the date\'s month before it (monthly user sets, 1763700011000)', async () => {
    const at = (iso: string, userId: string, siteId: string | null = 's1') => toEvent(0)({ userId, action: 'click', offset: Date.parse(iso), siteId, path: null });
    await store([
      // seen on the first and the last day of the month before `from`'s month, and on the first of `from`'s month
      at('2025-09-01T00:00:00Z', 'sept-first'), at('2025-09-30T23:59:59.999Z', 'sept-last', null), at('2025-10-01T00:00:00Z', 'oct-first', 's2'),
      at('2025-10-04T23:59:59.999Z', 'oct-fourth'), at('2025-10-05T00:00:00Z', 'oct-fifth'),
      ...['sept-first', 'sept-last', 'oct-first', 'oct-fourth', 'oct-fifth', 'new'].map((u) => at('2025-10-10T12:00:00Z', u)),
    ], 4);
    const overview = await analytics.overview({ from: new Date('2025-10-05T00:00:00Z'), till: new Date('2025-10-11T00:00:00Z'), top: 10 });
    expect({ users: overview.uniqueUsers, newUsers: overview.newUsers }).toEqual({ users: 6, newUsers: 2 });
    // from Kolkata's 2025-10-05 (2025-10-04T18:30Z): oct-fourth's first event is inside the range, so it is new too
    const kolkata = await analytics.overview({ from: startOfLocalDay('Asia/Kolkata', new Date('2025-10-05T00:00:00Z')), till: new Date('2025-10-11T00:00:00Z'), top: 10 });
    expect({ users: kolkata.uniqueUsers, newUsers: kolkata.newUsers }).toEqual({ users: 6, newUsers: 3 });
    // new-user cohorts from 2025-10-05: only oct-fifth and new are new
    const weeks = periodsOf('day', new Date('2025-10-05T00:00:00Z'), new Date('2025-10-10T00:00:00Z'));
    expect((await analytics.retention(weeks, { mode: 'new' })).map((row) => row[0])).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('read a bound that is not on a quarter hour from the raw events: Monrovia at −00:44:30 (before 1972), an instant', async () => {
    // Not on a quarter hour: Monrovia's local midnight of 1971-06-01 (00:44:30Z), and any instant.
    const monrovia = startOfLocalDay('Africa/Monrovia', new Date('1971-06-01T00:00:00Z'));
    expect(monrovia.toISOString()).toBe('1971-06-01T00:44:30.000Z');
    const kolkata = periodsOf('day', new Date('2025-08-01T00:00:00Z'), new Date('2025-08-01T00:00:00Z'), undefined, 'Asia/Kolkata')[0];
    const round = (p: object) => JSON.parse(JSON.stringify(p));
    expect(round(piecesOf(kolkata.from, kolkata.till, { quarters: true }))).toEqual({
      days: null,
      blocks: [],
      hours: [['2025-07-31T19:00:00.000Z', '2025-08-01T18:00:00.000Z']],
      quarters: [['2025-07-31T18:30:00.000Z', '2025-07-31T19:00:00.000Z'], ['2025-08-01T18:00:00.000Z', '2025-08-01T18:30:00.000Z']],
      raw: [],
    });
    // without quarters (the overview): the same edges from the raw events
    expect(round(piecesOf(kolkata.from, kolkata.till)).raw).toEqual(round(piecesOf(kolkata.from, kolkata.till, { quarters: true })).quarters);
    const from = new Date('2025-08-01T10:07:00Z');
    const till = new Date('2025-08-01T10:52:00Z');
    expect(round(piecesOf(from, till, { quarters: true }))).toEqual({
      days: null, blocks: [], hours: [],
      quarters: [['2025-08-01T10:15:00.000Z', '2025-08-01T10:45:00.000Z']],
      raw: [['2025-08-01T10:07:00.000Z', '2025-08-01T10:15:00.000Z'], ['2025-08-01T10:45:00.000Z', '2025-08-01T10:52:00.000Z']],
    });
    // with blocks (questions over all sites): the whole hours' whole six-hour UTC blocks
    expect(round(piecesOf(kolkata.from, kolkata.till, { quarters: true, blocks: true }))).toEqual({
      days: null,
      blocks: [['2025-08-01T00:00:00.000Z', '2025-08-01T18:00:00.000Z']],
      hours: [['2025-07-31T19:00:00.000Z', '2025-08-01T00:00:00.000Z']],
      quarters: [['2025-07-31T18:30:00.000Z', '2025-07-31T19:00:00.000Z'], ['2025-08-01T18:00:00.000Z', '2025-08-01T18:30:00.000Z']],
      raw: [],
    });
    const jakarta = periodsOf('day', new Date('2025-08-01T00:00:00Z'), new Date('2025-08-01T00:00:00Z'), undefined, 'Asia/Jakarta')[0];
    expect(round(piecesOf(jakarta.from, jakarta.till, { quarters: true, blocks: true }))).toEqual({
      days: null,
      blocks: [['2025-07-31T18:00:00.000Z', '2025-08-01T12:00:00.000Z']],
      hours: [['2025-07-31T17:00:00.000Z', '2025-07-31T18:00:00.000Z'], ['2025-08-01T12:00:00.000Z', '2025-08-01T17:00:00.000Z']],
      quarters: [],
      raw: [],
    });
    // two local days of Los Angeles (UTC−7): a whole UTC day, blocks and hours at both ends
    const la = periodsOf('day', new Date('2025-08-01T00:00:00Z'), new Date('2025-08-02T00:00:00Z'), undefined, 'America/Los_Angeles');
    expect(round(piecesOf(la[0].from, la[1].till, { quarters: true, blocks: true }))).toEqual({
      days: { from: '2025-08-02T00:00:00.000Z', till: '2025-08-03T00:00:00.000Z' },
      blocks: [['2025-08-01T12:00:00.000Z', '2025-08-02T00:00:00.000Z'], ['2025-08-03T00:00:00.000Z', '2025-08-03T06:00:00.000Z']],
      hours: [['2025-08-01T07:00:00.000Z', '2025-08-01T12:00:00.000Z'], ['2025-08-03T06:00:00.000Z', '2025-08-03T07:00:00.000Z']],
      quarters: [],
      raw: [],
    });
    // the overview's counters: more than 12 whole hours of a UTC day read as the day minus its other hours
    expect(round(counterHours(piecesOf(kolkata.from, kolkata.till).hours))).toEqual({
      days: ['2025-08-01'],
      plus: [['2025-07-31T19:00:00.000Z', '2025-08-01T00:00:00.000Z']],
      minus: [['2025-08-01T18:00:00.000Z', '2025-08-02T00:00:00.000Z']],
    });
    expect(round(counterHours(piecesOf(la[0].from, la[1].till).hours))).toEqual({
      days: ['2025-08-01'],
      plus: [['2025-08-03T00:00:00.000Z', '2025-08-03T07:00:00.000Z']],
      minus: [['2025-08-01T00:00:00.000Z', '2025-08-01T07:00:00.000Z']],
    });
    expect(round(piecesOf(monrovia, new Date(monrovia.getTime() + DAY), { quarters: true }))).toMatchObject({
      quarters: [['1971-06-01T00:45:00.000Z', '1971-06-01T01:00:00.000Z'], ['1971-06-02T00:00:00.000Z', '1971-06-02T00:30:00.000Z']],
      raw: [['1971-06-01T00:44:30.000Z', '1971-06-01T00:45:00.000Z'], ['1971-06-02T00:30:00.000Z', '1971-06-02T00:44:30.000Z']],
    });
  });
});
