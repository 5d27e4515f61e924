import { mapTrackerEvent, readCollectRequest, trackerEventId } from './tracker-events';

const ID = '3f0b7a2e-5c1d-4e8f-9a6b-1c2d3e4f5a6b';
const ANON = 'anon-AAAAAAAAAAAAAAAAAAAAAA';
const context = { site: 'shop', anonymousId: ANON, at: 'events[0]' };
const errorsOf = (event: unknown, ctx = context) => {
  const mapped = mapTrackerEvent(event, ctx);
  return mapped.ok ? [] : mapped.errors;
};
const draftOf = (event: unknown, ctx: Parameters<typeof mapTrackerEvent>[1] = context) => {
  const mapped = mapTrackerEvent(event, ctx);
  if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
  return mapped.draft;
};

describe('the envelope of POST /api/collect', () => {
  it('takes site, sent_at (milliseconds or ISO 8601) and 1 to 100 events', () => {
    expect(readCollectRequest({ site: 'shop', sent_at: 1761224821000, events: [{}] })).toEqual({ ok: true, request: { site: 'shop', sentAt: new Date(1761224821000), events: [{}] } });
    expect(readCollectRequest({ site: 'shop', sent_at: '2025-10-23T13:07:01Z', events: [{}] })).toMatchObject({ ok: true, request: { sentAt: new Date('2025-10-23T13:07:01Z') } });
  });

  it('names every bad field, unknown ones included, and refuses what is not an object', () => {
    const read = readCollectRequest({ site: '', sent_at: 'yesterday', events: [], writeKey: 'x' });
    expect(read.ok ? [] : read.errors.map((e) => e.path).sort()).toEqual(['events', 'sent_at', 'site', 'writeKey']);
    expect(readCollectRequest({ site: 'a\u0001', events: new Array(101).fill({}) })).toMatchObject({ ok: false, errors: [{ path: 'site' }, { path: 'events' }] });
    expect(readCollectRequest([1])).toMatchObject({ ok: false, errors: [{ path: 'body' }] });
    expect(readCollectRequest({ site: 'shop', sent_at: 1.5, events: [{}] })).toMatchObject({ ok: false, errors: [{ path: 'sent_at' }] });
  });
});

describe('a tracker event mapped onto our event', () => {
  it('stores a page view as page_view at its path, with utm_* and a foreign referrer, never the rest of the query', () => {
    const draft = draftOf(
      { id: ID, type: 'pageview', url: 'https://shop.example/p%C3%A9/x?utm_source=news&utm_medium=mail&email=a%40b.example#top', referrer: 'https://www.google.com/search?q=secret#x', ts: 1761224820000 },
      { ...context, sentAt: new Date(1761224821000) },
    );
    expect(draft).toEqual({
      eventId: trackerEventId('shop', ID),
      userId: ANON,
      action: 'page_view',
      timestamp: new Date(1761224820000),
      sentAt: new Date(1761224821000),
      metadata: { utm_source: 'news', utm_medium: 'mail', referrer: 'https://www.google.com/search' },
      siteId: 'shop',
      path: '/p%C3%A9/x#top',
    });
    expect(JSON.stringify(draft)).not.toContain('secret');
    expect(JSON.stringify(draft)).not.toContain('a%40b');
  });

  it("drops a referrer on the page's own host (navigation inside the site) and an empty one", () => {
    expect(draftOf({ id: ID, type: 'pageview', url: 'https://shop.example/b', referrer: 'https://shop.example/a' }).metadata).toEqual({});
    expect(draftOf({ id: ID, type: 'pageview', url: 'https://shop.example/b', referrer: '' }).metadata).toEqual({});
  });

  it('stores an event under its name with its props as metadata, and the user identify() set', () => {
    expect(draftOf({ id: ID, type: 'event', name: 'signup', props: { plan: 'pro', seats: 3 }, url: 'https://shop.example/pricing', user_id: 'user-42', ts: '2025-10-23T13:07:00Z' })).toEqual({
      eventId: trackerEventId('shop', ID),
      userId: 'user-42',
      action: 'signup',
      timestamp: new Date('2025-10-23T13:07:00Z'),
      sentAt: undefined,
      metadata: { plan: 'pro', seats: 3 },
      siteId: 'shop',
      path: '/pricing',
    });
    expect(draftOf({ id: ID, type: 'event', name: 'x', user_id: 42 })).toMatchObject({ userId: '42', path: null, metadata: {} });
  });

  it('stores an identify as action identify of that user, traits as metadata; it needs the user', () => {
    expect(draftOf({ id: ID, type: 'identify', user_id: 'user-42', props: { plan: 'pro' }, url: 'https://shop.example/' })).toMatchObject({ action: 'identify', userId: 'user-42', metadata: { plan: 'pro' } });
    expect(errorsOf({ id: ID, type: 'identify' })).toEqual([{ path: 'events[0].user_id', message: 'is required on an identify' }]);
  });

  it('gives the same event id to a retry, another to another site or id (the id is case-insensitive)', () => {
    expect(trackerEventId('shop', ID)).toBe(trackerEventId('shop', ID.toUpperCase()));
    expect(new Set([trackerEventId('shop', ID), trackerEventId('blog', ID), trackerEventId('shop', ID.replace('3f', '4f'))]).size).toBe(3);
  });

  it('names each invalid field', () => {
    const paths = (event: unknown) => errorsOf(event).map((e) => e.path).sort();
    expect(paths({ type: 'visit', name: 'x', junk: 1 })).toEqual(['events[0].id', 'events[0].junk', 'events[0].type']);
    expect(paths({ id: ID, type: 'event' })).toEqual(['events[0].name']);
    expect(paths({ id: ID, type: 'event', name: 'x'.repeat(101), props: [1], user_id: '', ts: 'now', url: 'javascript:alert(1)' })).toEqual([
      'events[0].name', 'events[0].props', 'events[0].ts', 'events[0].url', 'events[0].user_id',
    ]);
    expect(paths({ id: ID, type: 'pageview' })).toEqual(['events[0].url']);
    expect(paths({ id: ID, type: 'pageview', url: 'https://s.example/', name: 'x', props: {} })).toEqual(['events[0].name', 'events[0].props']);
    expect(paths({ id: ID, type: 'event', name: 'x', referrer: 'nope', props: { big: 'x'.repeat(17 * 1024) } })).toEqual(['events[0].props', 'events[0].referrer']);
    expect(paths({ id: ID, type: 'event', name: 'a\u0000b', props: { k: '\ud800' } })).toEqual(['events[0].name', 'events[0].props.k']);
    expect(errorsOf('x')).toEqual([{ path: 'events[0]', message: 'must be a JSON object' }]);
  });
});
