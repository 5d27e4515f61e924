import fc from 'fast-check';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Thousands of random and adversarial requests against every route: never a 5xx, never a
 * stack trace, SQL or internal name in a response, never an invalid event stored.
 */
jest.setTimeout(120_000);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
});
afterAll(async () => {
  await t.close();
});

const LEAKS = /\bat \S+ \(|node_modules|QueryFailedError|TypeORM|SELECT |INSERT |syntax error|violates|ECONNREFUSED|\.ts:\d+|\.js:\d+/;

const nasty = fc.constantFrom(
  '', ' ', '\u0000', '\ud800', '\ufe0f', '%', '%zz', '%00', '../..', 'NaN', 'null', 'true', '-1', '1e309', '9007199254740993',
  '2025-10-23T13:07:00', '2025-10-257T22:07:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '-271821-04-20T00:00:00Z',
  '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00', '2016-12-31T23:59:60Z', '9999-12-31', '0000-01-01', '9999-12', '0000-01',
  '__proto__', 'constructor', "'; DROP TABLE events; --", '{"$gt": ""}', 'x'.repeat(5000), '🎉'.repeat(70),
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), nasty);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt().map(String));
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text, tie('value'), { maxKeys: 4 })),
})).value;

// Mostly plausible values, so that many events get through and the storage check means something.
const mostly = <T>(plausible: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: plausible, weight: 4 }, { arbitrary: other, weight: 1 });
const pastInstant = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString());
const eventField = {
  event_id: mostly(fc.uuid(), fc.oneof(text, scalar)),
  user_id: mostly(fc.oneof(fc.integer(), fc.string({ minLength: 1, maxLength: 20 })), fc.oneof(text, scalar)),
  action: mostly(fc.string({ minLength: 1, maxLength: 10 }), fc.oneof(text, scalar)),
  timestamp: mostly(pastInstant, fc.oneof(text, scalar)),
  sent_at: mostly(pastInstant, fc.oneof(text, scalar)),
  metadata: mostly(fc.dictionary(fc.string({ maxLength: 8 }), jsonish, { maxKeys: 4 }), jsonish),
  site_id: mostly(fc.string({ maxLength: 20 }), fc.oneof(text, scalar)),
  path: mostly(fc.string({ maxLength: 20 }), fc.oneof(text, scalar)),
  userId: scalar,
};
const nearEvent = fc.oneof(
  fc.record(eventField, { requiredKeys: [] }),
  fc.record(eventField, { requiredKeys: ['user_id', 'action'] }).map(({ userId: _typo, ...rest }) => rest),
);
const body = fc.oneof(
  { arbitrary: nearEvent.map((e) => JSON.stringify(e)), weight: 4 },
  { arbitrary: fc.array(nearEvent, { maxLength: 5 }).map((events) => JSON.stringify({ events })), weight: 4 },
  fc.record({ sent_at: eventField.sent_at, events: fc.oneof(fc.array(nearEvent, { maxLength: 3 }), jsonish) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
  fc.record({ from: eventField.timestamp, till: eventField.timestamp }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
  fc.record({ user_id: eventField.user_id, login_time: eventField.timestamp, site_id: eventField.site_id, event_type: eventField.action, path: eventField.path, timestamp: eventField.timestamp }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
  jsonish.map((v) => JSON.stringify(v) ?? 'null'),
  text.map(String),
  fc.constantFrom('{', '{"a":', '[1,2', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}', '\u0000{}', '{}'.repeat(1000)),
  // Deep nesting (stack overflow), duplicate keys, numbers JSON cannot carry (issue 12).
  fc.constantFrom(
    `{"user_id":"a","action":"x","metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    `{"from":${'['.repeat(20000)}${']'.repeat(20000)}}`,
    '{"user_id":"a","user_id":"b","action":"x"}',
    '{"user_id":"a","action":"x","metadata":{"n":1e309}}',
    '{"events":[{"user_id":"a","action":"x","timestamp":"0000-01-01T00:00:00Z"},{"user_id":"a","action":"x","sent_at":"3025-01-01T00:00:00Z","timestamp":"2025-01-01T00:00:00Z"}]}',
  ),
);
const contentType = mostly(fc.constant('application/json'), fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/problem+json', 'application/json; charset=latin1', '',
));
/** Percent-encodes any string, lone surrogates included (as U+FFFD). */
const enc = (s: string) => encodeURIComponent(s.toWellFormed());
const queryKey = fc.oneof(
  fc.constantFrom('user_id', 'action', 'site_id', 'from', 'till', 'to', 'order', 'limit', 'cursor', 'status', 'interval', 'rolling', 'top', 'date', 'month', '__proto__', 'constructor'),
  text,
);
const queryString = fc.oneof(
  fc.array(fc.tuple(queryKey, text), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')),
  fc.constantFrom('interval=day&from=2025-08-01&to=2025-08-03&rolling=7', 'interval=week&from=2025-08-01&to=2025-08-03', 'date=2025-08-09', 'month=2025-08', 'site_id=s&date=2025-02-30', 'from=2025-01-01T00:00:00Z&to=2024-01-01T00:00:00Z', 'interval=month&from=0001-01-01&to=9999-12-31', 'top=100', 'limit=1001', 'limit=-1', 'limit=0x10', 'cursor=eyJ0IjoiMjAyNSJ9', 'cursor=%', 'from=2025-10-23T00:00:00Z&till=2025-10-22T00:00:00Z', 'order=asc&order=desc', '%=%', '&&&==', 'status=open&status=stale', 'user_id=%ED%A0%80', 'action=%00', 'user_id=%C0%AF',
    'date=9999-12-31', 'month=9999-12', 'site_id=s&date=9999-12-31', 'from=0000-01-01T00:00:00Z', 'till=9999-12-31T23:59:59.999Z',
    'interval=day&from=9999-12-25&to=9999-12-31&rolling=90', 'from=2025-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z'),
);
const getPath = fc.oneof(
  fc.constantFrom(
    '/api/events', '/api/metrics', '/api/metrics/windows', '/health/live', '/health/ready', '/docs-json', '/metrics',
    '/api/analytics/active-users', '/api/analytics/overview', '/v1/user/uniques/daily', '/v1/user/uniques/monthly',
    '/api/reporting/stats', '/api/analytics/summary', '/stats',
  ),
  fc.oneof(fc.uuid(), text).map((id) => `/api/events/${enc(id)}`),
  fc.constantFrom('/api/events/%ED%A0%80', '/api/events/%00', '/api/events/%C0%AF', '/api/events/..%2F..%2Fetc'),
);
const postPath = fc.constantFrom('/api/event', '/api/event/validate', '/api/events/batch', '/api/metrics', '/v1/user/login', '/api/ingestion/event', '/event');

function expectSafe(res: { status: number; text: string }, request: string) {
  if (res.status >= 500 || LEAKS.test(res.text)) {
    throw new Error(`${request} → ${res.status} ${res.text.slice(0, 300)}`);
  }
}

describe('fuzzing every route', () => {
  it('survives random POST bodies and content types', async () => {
    await fc.assert(
      fc.asyncProperty(postPath, contentType, body, async (path, type, raw) => {
        const req = t.http().post(path);
        if (type) req.set('Content-Type', String(type));
        const res = await req.send(raw);
        expectSafe(res, `POST ${path} [${type}] ${raw.slice(0, 200)}`);
      }),
      { numRuns: 1500, seed: 11 },
    );
  });

  it('survives random query strings, ids and headers on reads', async () => {
    await fc.assert(
      fc.asyncProperty(getPath, queryString, fc.constantFrom('application/json', '*/*', 'text/html', ''), async (path, query, accept) => {
        const req = t.http().get(query ? `${path}?${query}` : path);
        if (accept) req.set('Accept', accept);
        const res = await req;
        expectSafe(res, `GET ${path}?${query}`);
      }),
      { numRuns: 1500, seed: 12 },
    );
  });

  it('stored only valid events along the way', async () => {
    const [stats] = await t.db.query(`
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE length(user_id) NOT BETWEEN 1 AND 128 -- NULL is anonymous, allowed via compat
                                 OR length(action) NOT BETWEEN 1 AND 100
                                 OR jsonb_typeof(metadata) <> 'object' OR octet_length(metadata::text) > 17000
                                 OR length(site_id) > 128 OR length(path) > 2048
                                 OR occurred_at > received_at + interval '10 minutes'
                                 OR occurred_at < '1970-01-01T00:00:00Z')::int AS invalid
      FROM events`);
    expect(stats.invalid).toBe(0);
    expect(stats.total).toBeGreaterThan(20); // the fuzzer did get valid events through
  });
});
