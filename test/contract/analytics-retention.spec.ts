import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { TypeOrmAnalyticsReadModel } from '../../src/analytics/adapters/persistence/typeorm-analytics.read-model';
import { RetentionMode } from '../../src/analytics/application/analytics.read-model';
import { GetRetentionHandler, GetRetentionQuery } from '../../src/analytics/application/get-retention';
import { GetActiveUsersHandler, GetActiveUsersQuery, StickinessRatio } from '../../src/analytics/application/get-active-users';
import { Interval } from '../../src/analytics/application/periods';
import { ValidationFailedError } from '../../src/shared/errors';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { TrackedEvent } from '../../src/tracking/domain/tracked-event';
import { uuidv7 } from '../../src/shared/uuid';
import { startOfLocalDay } from '../../src/shared/time-zone';
import { openRollupStore, storeInBatches } from '../support/rollup-store';
import { truncateAll } from '../support/test-app';

/**
 * Retention cohorts and stickiness in local time: every matrix must be what the raw events
 * give when each is put on its local calendar date — computed here with Intl.DateTimeFormat,
 * independently of the service's conversion and of its bitmaps — for local days, ISO weeks and
 * months, new and returning cohorts, one site or all, logins or every action; across DST
 * changes (London, Lord Howe's half hour, Los Angeles), quarter- and half-hour offsets
 * (Kathmandu, Kolkata), and with events recorded late (an old occurred_at stored after the
 * matrix was first asked for, which moves a user's first-seen earlier).
 */
let db: DataSource;
let events: TypeOrmEventRepository;
let analytics: TypeOrmAnalyticsReadModel;
let retention: GetRetentionHandler;
let activeUsers: GetActiveUsersHandler;
beforeAll(async () => {
  ({ db, events, analytics } = await openRollupStore());
  retention = new GetRetentionHandler(analytics);
  activeUsers = new GetActiveUsersHandler(analytics);
});
afterAll(async () => {
  await db.destroy();
});

const DAY = 86_400_000;
const QUARTER = 900_000;
const ZONES = ['UTC', 'Europe/London', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Los_Angeles', 'Asia/Kolkata'];
// Windows of 70 days holding DST changes: London 2025-03-30 and 10-26, Lord Howe (30 min) and
// Adelaide 04-06 and 10-05, Los Angeles 03-09 and 11-02.
const ANCHORS = ['2025-02-20', '2025-08-25', '2025-09-20'].map((d) => Date.parse(`${d}T00:00:00Z`));
const SPAN = 70 * DAY;
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10'];

// Instants bunched on quarter hours (exactly, and a millisecond either side), on the local
// midnights of the zones (the period edges: exactly, a millisecond or up to an hour and a half
// either side), and spread otherwise. `anchor` places the zones' midnights.
const offsetArb = (anchor: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: SPAN - 1 }),
    fc.integer({ min: 1, max: SPAN / QUARTER - 1 }).chain((q) => fc.constantFrom(q * QUARTER, q * QUARTER - 1, q * QUARTER + 1)),
    fc
      .tuple(fc.integer({ min: 1, max: SPAN / DAY - 2 }), fc.constantFrom(...ZONES), fc.constantFrom(0, -1, 1, -QUARTER, -3_600_000, -5_400_000, 1_800_000))
      .map(([d, zone, delta]) => startOfLocalDay(zone, new Date(anchor + d * DAY)).getTime() + delta - anchor),
  );
const eventArb = (anchor: number) =>
  fc.record({
    userId: fc.option(fc.constantFrom(...USERS), { nil: null, freq: 8 }),
    action: fc.constantFrom('page_view', 'click', 'login'),
    offset: offsetArb(anchor),
    siteId: fc.constantFrom(null, 's1', 's2'),
  });
type Gen = { userId: string | null; action: string; offset: number; siteId: string | null };

const toEvent = (anchor: number) => (g: Gen): TrackedEvent => ({
  id: uuidv7(),
  userId: g.userId,
  action: g.action,
  occurredAt: new Date(anchor + g.offset),
  receivedAt: new Date(),
  metadata: {},
  siteId: g.siteId,
  path: null,
});

/** The reference's own calendar: the local date of an instant by Intl.DateTimeFormat. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function localDate(zone: string, t: Date): string {
  let f = formatters.get(zone);
  if (!f) formatters.set(zone, (f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(t);
}
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const addMonths = (day: string, n: number) => new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1 + n, 1)).toISOString().slice(0, 10);
const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
/** The label of the period holding a local date: itself, its week's Monday, its month's 1st. */
function labelOf(period: Interval, date: string): string {
  if (period === 'day') return date;
  if (period === 'week') return addDays(date, -((weekday(date) + 6) % 7));
  return `${date.slice(0, 7)}-01`;
}
const next = (period: Interval, label: string) => (period === 'day' ? addDays(label, 1) : period === 'week' ? addDays(label, 7) : addMonths(label, 1));

interface Ask {
  zone: string;
  period: Interval;
  from: string;
  till: string;
  mode: RetentionMode;
  siteId?: string;
  action?: 'login';
}

/** The matrix from the raw events: cohort i's users active in period i + k, per local dates. */
function referenceRetention(all: TrackedEvent[], q: Ask) {
  const labels: string[] = [];
  for (let l = q.from; l < q.till; l = next(q.period, l)) labels.push(l);
  const index = new Map(labels.map((l, i) => [l, i]));
  const active = labels.map(() => new Set<string>());
  const first = new Map<string, string>(); // user → first local date ever (of the filter)
  for (const e of all) {
    if (e.userId === null || (q.siteId !== undefined && e.siteId !== q.siteId) || (q.action !== undefined && e.action !== q.action)) continue;
    const date = localDate(q.zone, e.occurredAt);
    const seen = first.get(e.userId);
    if (seen === undefined || date < seen) first.set(e.userId, date);
    const i = index.get(labelOf(q.period, date));
    if (i !== undefined) active[i].add(e.userId);
  }
  return labels.map((label, i) => {
    const cohort = [...active[i]].filter((u) => q.mode === 'returning' || labelOf(q.period, first.get(u)!) === label);
    const counts = labels.slice(i).map((_, k) => cohort.filter((u) => active[i + k].has(u)).length);
    return { periodStart: label, users: cohort.length, active: counts, fraction: counts.map((n) => (cohort.length === 0 ? null : n / cohort.length)) };
  });
}

const question = fc.record({
  zone: fc.constantFrom(...ZONES),
  period: fc.constantFrom<Interval>('day', 'day', 'week', 'week', 'month'),
  firstDay: fc.integer({ min: -3, max: 60 }),
  periods: fc.integer({ min: 1, max: 9 }),
  // till past a period start by this many days (periods starting in [from, till) are cohorts)
  extraDays: fc.integer({ min: 0, max: 3 }),
  mode: fc.constantFrom<RetentionMode>('new', 'returning'),
  siteId: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
  action: fc.constantFrom(undefined, 'login' as const),
});
type Question = typeof question extends fc.Arbitrary<infer Q> ? Q : never;

function askOf(anchor: number, q: Question): Ask {
  const day = new Date(anchor + q.firstDay * DAY).toISOString().slice(0, 10);
  const from = q.period === 'day' ? day : q.period === 'week' ? labelOf('week', day) : addMonths(day, 1);
  let till = from;
  for (let k = 0; k < (q.period === 'month' ? Math.min(q.periods, 3) : q.periods); k++) till = next(q.period, till);
  till = addDays(till, q.period === 'day' ? 0 : q.extraDays);
  return { zone: q.zone, period: q.period, from, till, mode: q.mode, siteId: q.siteId, action: q.action };
}

async function check(all: TrackedEvent[], ask: Ask) {
  const d = (s: string) => new Date(`${s}T00:00:00Z`);
  const got = await retention.execute(new GetRetentionQuery(ask.period, d(ask.from), d(ask.till), ask.mode, ask.siteId, ask.action, ask.zone));
  expect({ ask, cohorts: got.cohorts }).toEqual({ ask, cohorts: referenceRetention(all, ask) });
}

const store = (all: TrackedEvent[], size: number) => storeInBatches(events, all, size);

describe('retention cohorts', () => {
  beforeEach(async () => {
    await truncateAll(db);
  });

  it('count every cohort of local days, ISO weeks and months, new or returning, exactly as the raw events do — late events included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ANCHORS).chain((anchor) =>
          fc.tuple(
            fc.constant(anchor),
            fc.array(eventArb(anchor), { minLength: 0, maxLength: 120, size: 'max' }),
            fc.array(eventArb(anchor), { minLength: 1, maxLength: 15, size: 'max' }),
          ),
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.array(question, { minLength: 1, maxLength: 6, size: 'max' }),
        async ([anchor, onTime, late], size, questions) => {
          await truncateAll(db);
          const stored = onTime.map(toEvent(anchor));
          await store(stored, size);
          const asks = questions.map((q) => askOf(anchor, q));
          for (const ask of asks) await check(stored, ask);
          // Events recorded late: old occurred_at, stored now. They may move first-seen earlier.
          const all = [...stored, ...late.map(toEvent(anchor))];
          await store(all.slice(stored.length), size);
          for (const ask of asks) await check(all, ask);
        },
      ),
      { numRuns: process.env.TEST_DATABASE_IN_PLACE === '1' ? 12 : 40 },
    );
  }, 600_000);

  it('see a user first seen before the range as not new, however long before (the union of every earlier day)', async () => {
    const at = (iso: string, userId: string, siteId: string | null = null) => toEvent(0)({ userId, action: 'click', offset: Date.parse(iso), siteId });
    await store(
      [
        at('2024-01-05T12:00:00Z', 'old'), at('2025-06-03T12:00:00Z', 'old'),
        at('2025-06-03T12:00:00Z', 'fresh'), at('2025-06-10T12:00:00Z', 'fresh'),
        // first seen on s1 long ago, on s2 only in the range: new for s2
        at('2023-03-01T00:00:00Z', 'multi', 's1'), at('2025-06-04T00:00:00Z', 'multi', 's2'), at('2025-06-11T00:00:00Z', 'multi', 's2'),
        // Kathmandu (+05:45): 2025-06-08T18:15Z is 06-09 00:00 local, the second week
        at('2025-06-08T18:15:00Z', 'edge'),
      ],
      3,
    );
    // Seen a millisecond, or half an hour, before the first cohort's Kathmandu midnight
    // (2025-06-02 00:00 +05:45 = 06-01T18:15Z): not new in it; a millisecond after: new.
    await store([at('2025-06-01T18:14:59.999Z', 'just-before'), at('2025-06-01T17:45:00Z', 'half-before'), at('2025-06-01T18:15:00Z', 'at-start')], 3);
    await store([at('2025-06-02T12:00:00Z', 'just-before'), at('2025-06-02T12:00:00Z', 'half-before')], 2);
    const d = (s: string) => new Date(`${s}T00:00:00Z`);
    const ask = (mode: RetentionMode, siteId?: string, zone = 'UTC') => retention.execute(new GetRetentionQuery('week', d('2025-06-02'), d('2025-06-16'), mode, siteId, undefined, zone));
    // UTC: week 1 has old, fresh, multi and edge (Sunday 06-08), and the three users of
    // 06-01/06-02 (just-before, half-before: first seen 06-01, a Sunday, so not new; at-start
    // only 06-01); new among them: fresh and edge.
    expect((await ask('new')).cohorts.map((c) => c.active)).toEqual([[2, 1], [0]]);
    // Kathmandu: edge moves to week 2, where it is the one new user; at-start is new in week 1.
    expect((await ask('new', undefined, 'Asia/Kathmandu')).cohorts.map((c) => c.active)).toEqual([[2, 1], [1]]);
    expect((await ask('new', undefined, 'Europe/London')).cohorts.map((c) => c.active)).toEqual([[2, 1], [0]]); // 19:15 on 06-08 there
    expect((await ask('returning')).cohorts.map((c) => c.active)).toEqual([[6, 2], [2]]);
    expect((await ask('new', 's2')).cohorts.map((c) => c.active)).toEqual([[1, 1], [0]]);
    expect((await ask('new', 's1')).cohorts.map((c) => c.active)).toEqual([[0, 0], [0]]);
    expect((await ask('new', 's2')).cohorts[1].fraction).toEqual([null]);
  });

  it('refuse a from that starts no period, a till not after from, and more than 400 cohorts, naming the field', async () => {
    const d = (s: string) => new Date(`${s}T00:00:00Z`);
    const problem = async (period: Interval, from: string, till: string) => {
      try {
        await retention.execute(new GetRetentionQuery(period, d(from), d(till), 'new'));
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationFailedError);
        return (error as ValidationFailedError).errors.map((e) => e.path);
      }
      return [];
    };
    expect(await problem('week', '2025-06-03', '2025-07-01')).toEqual(['from']); // a Tuesday
    expect(await problem('month', '2025-06-02', '2025-09-01')).toEqual(['from']);
    expect(await problem('day', '2025-06-02', '2025-06-02')).toEqual(['till']);
    expect(await problem('day', '2024-01-01', addDays('2024-01-01', 400))).toEqual([]);
    expect(await problem('day', '2024-01-01', addDays('2024-01-01', 401))).toEqual(['till']);
    expect(await problem('week', '2024-01-01', addDays('2024-01-01', 400 * 7 + 1))).toEqual(['till']);
  });
});

describe('stickiness', () => {
  beforeEach(async () => {
    await truncateAll(db);
  });

  it('give each local day its users, the users of the 30 or 7 local days ending that day, and their ratio', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ANCHORS).chain((anchor) => fc.tuple(fc.constant(anchor), fc.array(eventArb(anchor), { minLength: 0, maxLength: 100, size: 'max' }))),
        fc.constantFrom(...ZONES),
        fc.constantFrom<StickinessRatio>('dau_mau', 'dau_wau'),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 8 }),
        fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
        async ([anchor, gens], zone, ratio, firstDay, days, siteId) => {
          await truncateAll(db);
          const all = gens.map(toEvent(anchor));
          await store(all, 25);
          const from = new Date(anchor + firstDay * DAY);
          const to = new Date(from.getTime() + days * DAY);
          const got = await activeUsers.execute(new GetActiveUsersQuery('day', from, to, siteId, undefined, undefined, zone, ratio));
          const windowDays = ratio === 'dau_mau' ? 30 : 7;
          const usersIn = (lo: string, hi: string) =>
            new Set(all.filter((e) => e.userId !== null && (siteId === undefined || e.siteId === siteId)).filter((e) => {
              const date = localDate(zone, e.occurredAt);
              return date >= lo && date <= hi;
            }).map((e) => e.userId)).size;
          const expected = got.data.map((p) => {
            const [uniqueUsers, windowUsers] = [usersIn(p.periodStart, p.periodStart), usersIn(addDays(p.periodStart, 1 - windowDays), p.periodStart)];
            return { periodStart: p.periodStart, uniqueUsers, windowUsers, ratio: windowUsers === 0 ? null : uniqueUsers / windowUsers };
          });
          expect(got.data.map((p) => p.periodStart)).toEqual(Array.from({ length: days + 1 }, (_, k) => addDays(from.toISOString().slice(0, 10), k)));
          expect({ zone, ratio, data: got.data }).toEqual({ zone, ratio, data: expected });
        },
      ),
      { numRuns: process.env.TEST_DATABASE_IN_PLACE === '1' ? 10 : 30 },
    );
  }, 600_000);

  it('refuse a ratio with weeks, months or rolling, naming ratio', async () => {
    const d = new Date('2025-06-02T00:00:00Z');
    for (const [interval, rolling] of [['week', undefined], ['month', undefined], ['day', 7]] as const) {
      await expect(activeUsers.execute(new GetActiveUsersQuery(interval, d, d, undefined, rolling, undefined, 'UTC', 'dau_mau'))).rejects.toMatchObject({
        errors: [{ path: 'ratio' }],
      });
    }
  });
});
