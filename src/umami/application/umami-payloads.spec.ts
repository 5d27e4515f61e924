import { mapUmamiSend } from './umami-payloads';

const page = { website: 'shop', hostname: 'shop.example', url: 'https://shop.example/pricing?utm_source=news&utm_medium=mail&token=secret#plans', referrer: 'https://news.example/a', title: 'Pricing', screen: '1920x1080', language: 'en-US' };

describe('mapUmamiSend', () => {
  it('maps a page view: action page_view, path with fragment, query dropped but utm_*, referrer in metadata, receipt time', () => {
    expect(mapUmamiSend({ type: 'event', payload: page })).toEqual({
      ok: true,
      kind: 'event',
      site: 'shop',
      draft: { action: 'page_view', siteId: 'shop', path: '/pricing#plans', timestamp: undefined, metadata: { referrer: 'https://news.example/a', utm_source: 'news', utm_medium: 'mail' } },
      distinctId: undefined,
      client: {},
    });
  });

  it('maps a custom event (name → action, data → metadata, data wins), a relative url on hostname, the distinct id, the timestamp in seconds', () => {
    const mapped = mapUmamiSend({ type: 'event', payload: { website: 'shop', hostname: 'shop.example', url: '/checkout?utm_campaign=x', name: 'purchase', data: { revenue: 42.5, utm_campaign: 'own' }, id: 'user-42', timestamp: 1_760_000_000 } });
    expect(mapped).toMatchObject({
      ok: true,
      distinctId: 'user-42',
      draft: { action: 'purchase', path: '/checkout', metadata: { revenue: 42.5, utm_campaign: 'own' }, timestamp: new Date(1_760_000_000_000) },
    });
    // What @umami/node sends for track('signup'): a name, no url.
    expect(mapUmamiSend({ type: 'event', payload: { website: 'shop', name: 'signup' } })).toMatchObject({ ok: true, draft: { action: 'signup', path: null, metadata: {} } });
    // Umami: an empty name is a page view; its "/undefined" page is no page.
    expect(mapUmamiSend({ type: 'event', payload: { website: 'shop', name: '', url: '/undefined' } })).toMatchObject({ ok: true, draft: { action: 'page_view', path: null } });
    expect(mapUmamiSend({ type: 'event', payload: { website: 'shop', timestamp: '1760000000', id: '' } })).toMatchObject({ ok: true, distinctId: undefined, draft: { timestamp: new Date(1_760_000_000_000) } });
  });

  it('keeps the referrer only from another site, without its query (as our tracker does)', () => {
    const referrerOf = (payload: Record<string, unknown>) => {
      const mapped = mapUmamiSend({ type: 'event', payload: { website: 'shop', ...payload } });
      return mapped.ok && mapped.kind === 'event' ? mapped.draft.metadata?.referrer : 'refused';
    };
    expect(referrerOf({ url: 'https://shop.example/b', referrer: 'https://search.example/q?text=secret#x' })).toBe('https://search.example/q');
    expect(referrerOf({ url: 'https://shop.example/b', referrer: 'https://shop.example/a?x=1' })).toBeUndefined();
    expect(referrerOf({ hostname: 'shop.example', url: '/b', referrer: 'https://shop.example/a' })).toBeUndefined();
    expect(referrerOf({ url: '/b', referrer: 'https://shop.example/a' })).toBe('https://shop.example/a'); // no host known: kept
    expect(referrerOf({ url: '/b', referrer: 'android-app://com.example' })).toBeUndefined();
  });

  it('maps identify to action identify with data, and keeps a forwarded ip and user agent apart', () => {
    expect(mapUmamiSend({ type: 'identify', payload: { website: 'shop', id: 'u1', data: { plan: 'pro' }, ip: '203.0.113.9', userAgent: 'Mozilla/5.0 X' } })).toMatchObject({
      ok: true,
      kind: 'identify',
      distinctId: 'u1',
      draft: { action: 'identify', metadata: { plan: 'pro' } },
      client: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 X' },
    });
  });

  it('accepts performance reports without mapping them', () => {
    expect(mapUmamiSend({ type: 'performance', payload: { website: 'shop', lcp: 1200 } })).toEqual({ ok: true, kind: 'performance', site: 'shop' });
  });

  it('names every invalid field the Umami way', () => {
    const errors = (body: unknown) => {
      const mapped = mapUmamiSend(body);
      return mapped.ok ? [] : mapped.errors.map((e) => e.path);
    };
    expect(errors([])).toEqual(['body']);
    expect(errors({ type: 'event' })).toEqual(['payload']);
    expect(errors({ type: 'click', payload: { website: 'shop' } })).toEqual(['type']);
    expect(errors({ type: 'event', payload: { link: 'abc' } })).toEqual(['payload.website']);
    expect(errors({ type: 'event', payload: { website: 'x'.repeat(129) } })).toEqual(['payload.website']);
    expect(errors({ type: 'event', payload: { website: 'shop', name: 'x'.repeat(101), data: [1], id: 7, url: 'http://[bad', timestamp: 1.5 } })).toEqual([
      'payload.name', 'payload.id', 'payload.url', 'payload.data', 'payload.timestamp',
    ]);
    expect(errors({ type: 'event', payload: { website: 'shop', data: { note: 'a\u0000b' } } })).toEqual(['payload.data.note']);
    expect(errors({ type: 'event', payload: { website: 'shop', data: { blob: 'x'.repeat(17 * 1024) } } })).toEqual(['payload.data']);
  });
});
