import { EventPartitionUpkeep } from '../../src/tracking/adapters/persistence/event-partition-upkeep';
import { EventPartitions, weekStart } from '../../src/tracking/adapters/persistence/event-partitions';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { uuidv7 } from '../../src/shared/uuid';
import { startTestApp, TestApp } from '../support/test-app';

/** EVENTS_RETENTION_DAYS through the service: refused at ingestion, dropped by the upkeep, figures kept. */
const DAY = 86_400_000;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ EVENTS_RETENTION_DAYS: '30' });
  await t.reset();
});
afterAll(async () => {
  await t.close();
});

describe('EVENTS_RETENTION_DAYS=30', () => {
  it('refuses an event older than the period, naming timestamp, and takes one inside it', async () => {
    const old = new Date(Date.now() - 31 * DAY).toISOString();
    const refused = await t.http().post('/api/event').send({ user_id: 'r', action: 'a', timestamp: old });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'timestamp', message: expect.stringContaining('retention period') }]);
    const validated = await t.http().post('/api/event/validate').send({ user_id: 'r', action: 'a', timestamp: old });
    expect(validated.status).toBe(400);
    const batch = await t.http().post('/api/events/batch').send({ events: [{ user_id: 'r', action: 'a', timestamp: old }, { user_id: 'r', action: 'b', timestamp: new Date(Date.now() - 29 * DAY).toISOString() }] });
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'created']);
  });

  it('drops the weeks past the period at the next upkeep; rollups keep counting their events', async () => {
    // Events stored before the period was set (written straight to the store, as an earlier
    // configuration would have accepted them): 60 and 45 days old, and one from yesterday.
    const now = Date.now();
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY);
    const event = (userId: string, occurredAt: Date) =>
      ({ id: uuidv7(), userId, action: 'visit', occurredAt, receivedAt: new Date(), metadata: {}, siteId: 'site', path: null });
    const events = [event('old-1', at(60)), event('old-2', at(45)), event('new-1', at(1))];
    await t.app.get(TypeOrmEventRepository).insertNew(events);
    const wholeDays = { from: new Date(Math.floor(at(70).getTime() / DAY) * DAY).toISOString(), till: new Date(Math.floor(now / DAY) * DAY).toISOString() };
    const before = (await t.http().get('/api/analytics/overview').query({ ...wholeDays, site_id: 'site' })).body;
    expect(before.unique_users).toBe(3);

    await t.app.get(EventPartitionUpkeep).runOnce(new Date(now));
    const partitions = (await t.app.get(EventPartitions).list()).map((p) => p.from.getTime());
    expect(partitions).not.toContain(weekStart(at(60)).getTime());
    expect(partitions).not.toContain(weekStart(at(45)).getTime());
    expect(partitions).toContain(weekStart(at(1)).getTime());
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM events WHERE site_id = 'site'`);
    expect(n).toBe(1);
    expect((await t.http().get(`/api/events/${events[0].id}`)).status).toBe(404);
    // Whole days come from the rollups, which the dropped events fed: the figures stay.
    expect((await t.http().get('/api/analytics/overview').query({ ...wholeDays, site_id: 'site' })).body).toEqual(before);
  });
});
