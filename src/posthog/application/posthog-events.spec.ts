import { eventsOf, mapEvent, posthogEventId } from './posthog-events';

const ctx = { keyId: 'key-1', at: 'batch[0].' } as const;
const base = { distinct_id: 'u1', uuid: 'e1', timestamp: '2025-10-23T13:07:00Z' };

describe('mapEvent', () => {
  it("maps PostHog's own events to the actions other sources store, and keeps other names as sent", () => {
    const cases: Array<[string, string]> = [
      ['$pageview', 'page_view'],
      ['$screen', 'screen_view'],
      ['$identify', 'identify'],
      ['$set', 'identify'],
      ['$create_alias', 'alias'],
      ['$groupidentify', 'group'],
      ['$exception', 'exception'],
      ['$autocapture', '$autocapture'],
      ['$pageleave', '$pageleave'],
      ['Order Completed', 'Order Completed'],
    ];
    for (const [event, action] of cases) {
      const mapped = mapEvent({ ...base, event }, ctx);
      expect([event, mapped.ok && mapped.draft.action]).toEqual([event, action]);
    }
  });

  it('keeps user, time, site, path and properties; drops the key, distinct_id, site_id and $ip from the metadata', () => {
    const mapped = mapEvent(
      {
        ...base,
        event: 'clicked',
        properties: { token: 'tsk_secret', distinct_id: 'u1', site_id: 'shop', $ip: '1.2.3.4', button: 'buy', $current_url: 'https://x.example/a%20b/c?q=1#h' },
        $set: { ignored: true },
      },
      ctx,
    );
    expect(mapped).toEqual({
      ok: true,
      timeFrom: 'timestamp',
      draft: {
        eventId: posthogEventId('key-1', 'shop', 'e1'),
        userId: 'u1',
        action: 'clicked',
        timestamp: new Date('2025-10-23T13:07:00Z'),
        sentAt: undefined,
        metadata: { button: 'buy', $current_url: 'https://x.example/a%20b/c?q=1#h' },
        siteId: 'shop',
        path: '/a%20b/c',
      },
    });
  });

  it('takes distinct_id from the properties (posthog-js), a number as its decimal string, and the path from $pathname or a bare path', () => {
    const js = mapEvent({ event: 'e', properties: { distinct_id: 'anon-1', $pathname: '/p' } }, ctx);
    expect(js.ok && [js.draft.userId, js.draft.path, js.draft.eventId, js.draft.timestamp]).toEqual(['anon-1', '/p', undefined, undefined]);
    const numeric = mapEvent({ event: 'e', distinct_id: 42, properties: { $current_url: '/bare/path?x=1' } }, ctx);
    expect(numeric.ok && [numeric.draft.userId, numeric.draft.path]).toEqual(['42', '/bare/path']);
  });

  it('merges person properties into an identify ($set over $set_once, the event’s over its properties’), not into other events', () => {
    const mapped = mapEvent({ ...base, event: '$identify', properties: { $set: { a: 1 }, $anon_distinct_id: 'anon' }, $set: { b: 2 }, $set_once: { c: 3 } }, ctx);
    expect(mapped.ok && mapped.draft.metadata).toEqual({ $set: { a: 1, b: 2 }, $anon_distinct_id: 'anon', $set_once: { c: 3 } });
  });

  it('keeps the type and message of an exception, not its stack', () => {
    const frames = Array.from({ length: 500 }, (_, i) => ({ filename: `/app/file-${i}.js`, lineno: i, function: 'f'.repeat(50) }));
    const mapped = mapEvent({ ...base, event: '$exception', properties: { $exception_list: [{ type: 'TypeError', value: 'x is undefined', stacktrace: { frames } }], $exception_level: 'error' } }, ctx);
    expect(mapped.ok && mapped.draft.metadata).toEqual({ $exception_type: 'TypeError', $exception_message: 'x is undefined', $exception_count: 1, $exception_level: 'error' });
  });

  it('corrects the clock as PostHog does: timestamp with sent_at (the event’s own, else the request’s), else now − offset, else the timestamp; $ignore_sent_at honoured', () => {
    const requestSentAt = new Date('2025-10-23T13:08:00Z');
    const both = mapEvent({ ...base, event: 'e' }, { ...ctx, requestSentAt });
    expect(both.ok && [both.draft.timestamp, both.draft.sentAt, both.timeFrom]).toEqual([new Date('2025-10-23T13:07:00Z'), requestSentAt, 'timestamp']);
    const own = mapEvent({ ...base, event: 'e', sent_at: '2025-10-23T13:09:00Z' }, { ...ctx, requestSentAt });
    expect(own.ok && own.draft.sentAt).toEqual(new Date('2025-10-23T13:09:00Z'));
    const offset = mapEvent({ distinct_id: 'u', event: 'e', offset: 1500 }, ctx);
    expect(offset.ok && offset.draft.sentAt!.getTime() - offset.draft.timestamp!.getTime()).toBe(1500);
    expect(offset.ok && offset.timeFrom).toBe('offset');
    const ignored = mapEvent({ ...base, event: 'e', properties: { $ignore_sent_at: true } }, { ...ctx, requestSentAt });
    expect(ignored.ok && ignored.draft.sentAt).toBeUndefined();
  });

  it('names every bad field with its place in the batch', () => {
    const mapped = mapEvent(
      { event: 'x'.repeat(101), distinct_id: 'é', timestamp: 'yesterday', offset: 'soon', uuid: 5, properties: { site_id: 7, $current_url: 'not a url' } },
      ctx,
    );
    expect(!mapped.ok && mapped.errors.map((e) => e.path)).toEqual([
      'batch[0].distinct_id',
      'batch[0].event',
      'batch[0].timestamp',
      'batch[0].offset',
      'batch[0].properties.site_id',
      'batch[0].properties.$current_url',
      'batch[0].uuid',
    ]);
    const big = mapEvent({ ...base, event: 'e', properties: { blob: 'x'.repeat(17 * 1024) } }, ctx);
    expect(!big.ok && big.errors).toEqual([{ path: 'batch[0].properties', message: expect.stringContaining('16 KiB') }]);
  });

  it('scopes event ids to key and site: the same uuid from two keys or sites are two events', () => {
    expect(posthogEventId('k1', 's', 'u')).not.toBe(posthogEventId('k2', 's', 'u'));
    expect(posthogEventId('k1', 's', 'u')).not.toBe(posthogEventId('k1', 't', 'u'));
    expect(posthogEventId(null, null, 'u')).toBe(posthogEventId(null, null, 'u'));
  });
});

describe('eventsOf', () => {
  it('reads the three shapes PostHog takes on every route, with the path of each event', () => {
    expect(eventsOf({ batch: [{}, {}], sent_at: 'x' })).toEqual({ ok: true, events: [{ event: {}, at: 'batch[0].' }, { event: {}, at: 'batch[1].' }], sentAt: 'x', at: 'batch' });
    expect(eventsOf([{}])).toEqual({ ok: true, events: [{ event: {}, at: '[0].' }], at: '' });
    expect(eventsOf({ event: 'e' })).toEqual({ ok: true, events: [{ event: { event: 'e' }, at: '' }], at: '' });
    expect(eventsOf('x')).toMatchObject({ ok: false, errors: [{ path: 'body' }] });
    expect(eventsOf({ batch: {} })).toMatchObject({ ok: false, errors: [{ path: 'batch' }] });
  });
});
