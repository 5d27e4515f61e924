import { useTestApp } from '../support/test-app';

/**
 * JSON sent as text/plain — what navigator.sendBeacon and Segment's browser library send — is
 * read on the routes that record events, and refused (415) everywhere else.
 */
const t = useTestApp();

const asText = (path: string, body: unknown) =>
  t.http().post(path).set('Content-Type', 'text/plain;charset=UTF-8').send(JSON.stringify(body));

describe('text/plain bodies', () => {
  it('are read as JSON by the routes that record events, and stored like JSON ones', async () => {
    const one = await asText('/api/event', { event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6b01', user_id: 'u1', action: 'page_view', timestamp: '2025-10-23T13:07:00Z', path: '/a' });
    expect(one.status).toBe(201);
    const batch = await asText('/api/events/batch', { events: [{ user_id: 'u2', action: 'click', timestamp: '2025-10-23T13:08:00Z' }] });
    expect(batch.status).toBe(200);
    expect(batch.body.created).toBe(1);
    const segment = await asText('/v1/track', { writeKey: 'any', userId: 'u3', event: 'Signed Up', messageId: 'text-1', timestamp: '2025-10-23T13:09:00Z' });
    expect(segment.status).toBe(200);
    expect(segment.body).toEqual({ success: true });
    const rows = await t.db.query(`SELECT user_id, action, path FROM events ORDER BY occurred_at`);
    expect(rows).toEqual([
      { user_id: 'u1', action: 'page_view', path: '/a' },
      { user_id: 'u2', action: 'click', path: null },
      { user_id: 'u3', action: 'Signed Up', path: null },
    ]);
  });

  it('are held to the same strict JSON (400 naming the body) and refused by every other route (415)', async () => {
    const broken = await t.http().post('/api/event').set('Content-Type', 'text/plain').send('{"user_id": ');
    expect(broken.status).toBe(400);
    expect(JSON.stringify(broken.body.errors)).toContain('"body"');
    for (const path of ['/api/event/validate', '/api/metrics']) {
      const res = await asText(path, {});
      expect(res.status).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM events');
    expect(n).toBe(0);
  });
});
