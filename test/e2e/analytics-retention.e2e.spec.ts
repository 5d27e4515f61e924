import { uuidv7 } from '../../src/shared/uuid';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.reset();
  const ev = (userId: string, ts: string, action = 'page_view', siteId: string | null = 's1') => ({
    id: uuidv7(), userId, action, occurredAt: new Date(ts), receivedAt: new Date(), metadata: {}, siteId, path: null,
  });
  await t.app.get(TypeOrmEventRepository).insertNew([
    ev('a', '2025-06-01T10:00:00Z'), ev('a', '2025-06-03T10:00:00Z'), ev('b', '2025-06-03T10:00:00Z'), ev('b', '2025-06-10T10:00:00Z'), ev('c', '2025-06-11T10:00:00Z', 'login'),
  ]);
});
afterAll(async () => {
  await t.close();
});

it('smoke', async () => {
  for (const q of ['period=week&from=2025-06-02&till=2025-06-23', 'period=day&from=2025-06-02&till=2025-06-12&mode=returning&tz=Asia/Kathmandu', 'period=week&from=2025-06-03&till=2025-06-23']) {
    const res = await t.http().get(`/api/analytics/retention?${q}`);
    console.log(JSON.stringify(res.body));
  }
  console.log(JSON.stringify((await t.http().get('/api/analytics/active-users?interval=day&from=2025-06-02&to=2025-06-12&ratio=dau_wau')).body));
  console.log(JSON.stringify((await t.http().get('/api/analytics/overview?from=2025-06-02&till=2025-06-12')).body));
});
