import { mapMessage, segmentEventId } from './segment-messages';

const ctx = { routeType: null, keyId: 'key-1', at: 'batch[0].' } as const;

describe('mapMessage', () => {
  it('maps each type to its action and keeps what the README says of it', () => {
    const base = { userId: 'u1', timestamp: '2025-10-23T13:07:00Z', messageId: 'm1', context: { ip: '1.2.3.4', library: { name: 'x' }, page: { path: '/p' } }, integrations: { All: true } };
    const cases: Array<[Record<string, unknown>, string, Record<string, unknown>]> = [
      [{ type: 'track', event: 'Bought', properties: { a: 1 } }, 'Bought', { a: 1 }],
      [{ type: 'page', name: 'Home', category: 'Docs', properties: { title: 'T' } }, 'page_view', { title: 'T', name: 'Home', category: 'Docs' }],
      [{ type: 'screen', name: 'Feed' }, 'screen_view', { name: 'Feed' }],
      [{ type: 'identify', traits: { plan: 'pro' } }, 'identify', { plan: 'pro' }],
      [{ type: 'group', groupId: 'acme', traits: { n: 5 } }, 'group', { n: 5, groupId: 'acme' }],
      [{ type: 'alias', previousId: 'anon' }, 'alias', { previousId: 'anon' }],
    ];
    for (const [fields, action, metadata] of cases) {
      const mapped = mapMessage({ ...base, ...fields }, ctx);
      expect(mapped).toEqual({
        ok: true,
        draft: { eventId: segmentEventId('key-1', null, 'm1'), userId: 'u1', action, timestamp: new Date('2025-10-23T13:07:00Z'), sentAt: undefined, metadata, siteId: null, path: '/p' },
      });
    }
  });

  it('takes anonymousId when there is no userId, originalTimestamp when there is no timestamp, the batch sentAt unless the message has its own', () => {
    const sentAt = new Date('2025-10-23T13:08:00Z');
    const mapped = mapMessage({ type: 'page', anonymousId: 'a1', originalTimestamp: '2025-10-23T13:07:00Z', properties: { path: '/from-props' } }, { ...ctx, batchSentAt: sentAt });
    expect(mapped.ok && mapped.draft).toMatchObject({ userId: 'a1', timestamp: new Date('2025-10-23T13:07:00Z'), sentAt, path: '/from-props', eventId: undefined });
    const own = mapMessage({ type: 'track', event: 'e', userId: 'u', timestamp: '2025-10-23T13:07:00Z', sentAt: '2025-10-23T13:09:00Z' }, { ...ctx, batchSentAt: sentAt });
    expect(own.ok && own.draft.sentAt).toEqual(new Date('2025-10-23T13:09:00Z'));
  });

  it('names every bad field with its place in the batch', () => {
    const mapped = mapMessage({ type: 'track', userId: 'x'.repeat(129), context: { site_id: 5, page: { path: 7 } }, properties: [] }, ctx);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.errors.map((e) => e.path)).toEqual([
      'batch[0].userId',
      'batch[0].event',
      'batch[0].context.site_id',
      'batch[0].properties',
      'batch[0].context.page.path',
    ]);
  });

  it('scopes event ids to key and site: the same messageId from two sources are two events', () => {
    expect(segmentEventId('k1', 's', 'm')).not.toBe(segmentEventId('k2', 's', 'm'));
    expect(segmentEventId('k1', 's', 'm')).not.toBe(segmentEventId('k1', 't', 'm'));
    expect(segmentEventId('k1', 's', 'm')).toBe(segmentEventId('k1', 's', 'm'));
  });
});
