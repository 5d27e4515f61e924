import { PgVisitorSalts } from '../../src/visitors/adapters/persistence/pg-visitor-salts';
import { VisitorSaltUpkeep } from '../../src/visitors/adapters/persistence/visitor-salt-upkeep';
import { AnonymousVisitors } from '../../src/visitors/application/anonymous-visitors';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The daily salts of anonymous visitor ids, on the real database: every process hashes alike
 * (one salt per day, whoever creates it), a new day gets a new salt and the old one is gone.
 */
jest.setTimeout(60_000);

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE visitor_salts');
});
afterAll(async () => {
  await t.close();
});

it('gives one id per visitor and day across processes, created concurrently', async () => {
  // Two "processes": separate caches and salt readers on the same database, asking at once.
  const a = new AnonymousVisitors(new PgVisitorSalts(t.db));
  const b = new AnonymousVisitors(new PgVisitorSalts(t.db));
  const noon = new Date('2026-12-01T12:00:00Z');
  const ids = await Promise.all([a.idOf('shop', '198.51.100.4', UA, noon), b.idOf('shop', '198.51.100.4', UA, noon)]);
  expect(ids[0]).toBe(ids[1]);
  expect(await b.idOf('shop', '198.51.100.4', UA, new Date('2026-12-01T23:59:59Z'))).toBe(ids[0]);
  const rows = await t.db.query(`SELECT day::text AS day, octet_length(salt) AS bytes FROM visitor_salts`);
  expect(rows).toEqual([{ day: '2026-12-01', bytes: 32 }]);
});

it('rotates at UTC midnight: a new id the next day, and the old salt deleted so that it cannot be recomputed', async () => {
  const visitors = new AnonymousVisitors(new PgVisitorSalts(t.db));
  const today = await visitors.idOf('shop', '198.51.100.4', UA, new Date('2026-12-01T23:59:59Z'));
  const tomorrow = await visitors.idOf('shop', '198.51.100.4', UA, new Date('2026-12-02T00:00:00Z'));
  expect(tomorrow).not.toBe(today);
  expect(await t.db.query(`SELECT day::text AS day FROM visitor_salts`)).toEqual([{ day: '2026-12-02' }]);
  // A process that had not asked yet gets the same id for the new day.
  expect(await new AnonymousVisitors(new PgVisitorSalts(t.db)).idOf('shop', '198.51.100.4', UA, new Date('2026-12-02T08:00:00Z'))).toBe(tomorrow);
});

it("deletes a past day's salt even when no visitor comes to replace it (the upkeep every process runs)", async () => {
  const visitors = new AnonymousVisitors(new PgVisitorSalts(t.db));
  await visitors.idOf('shop', '198.51.100.4', UA, new Date('2026-12-01T22:00:00Z'));
  const upkeep = new VisitorSaltUpkeep(new PgVisitorSalts(t.db));
  await upkeep.runOnce(new Date('2026-12-01T23:59:00Z'));
  expect(await t.db.query(`SELECT day::text AS day FROM visitor_salts`)).toEqual([{ day: '2026-12-01' }]);
  // The next day, nobody has visited yet: the upkeep alone deletes it.
  await upkeep.runOnce(new Date('2026-12-02T00:04:00Z'));
  await expect(new PgVisitorSalts(t.db).forgetBefore('2026-12-03')).resolves.toBe(0);
  expect(await t.db.query(`SELECT day::text AS day FROM visitor_salts`)).toEqual([]);
});
