import { mapPlausibleEvent, normalizePlausibleSite } from './plausible-events';

describe('mapPlausibleEvent', () => {
  it('maps what the script sends for a page view: page_view, the path only, utm_* and referrer in metadata', () => {
    expect(mapPlausibleEvent({ n: 'pageview', v: 36, u: 'https://shop.example/pricing?utm_source=news&email=a%40b.c#top', d: 'shop', r: 'https://news.example/' })).toEqual({
      ok: true,
      kind: 'event',
      site: 'shop',
      draft: { action: 'page_view', siteId: 'shop', path: '/pricing', metadata: { referrer: 'https://news.example/', utm_source: 'news' } },
    });
  });

  it('maps a custom event with props (object or JSON string), revenue, hash routing, and the long field names', () => {
    expect(mapPlausibleEvent({ n: 'Signup', u: 'https://shop.example/app#/plans', d: 'shop', r: null, p: { plan: 'pro' }, h: 1, $: { amount: '9.99', currency: 'EUR' } })).toMatchObject({
      ok: true,
      draft: { action: 'Signup', path: '/app#/plans', metadata: { plan: 'pro', revenue: { amount: '9.99', currency: 'EUR' } } },
    });
    expect(mapPlausibleEvent({ name: 'Download', url: '/files', domain: 'shop', props: '{"file":"a.pdf"}' })).toMatchObject({
      ok: true,
      site: 'shop',
      draft: { action: 'Download', path: '/files', metadata: { file: 'a.pdf' } },
    });
  });

  it('keeps the referrer only from another site, without its query (as our tracker does)', () => {
    const referrerOf = (r: string) => {
      const mapped = mapPlausibleEvent({ n: 'pageview', u: 'https://shop.example/b', d: 'shop', r });
      return mapped.ok && mapped.kind === 'event' ? mapped.draft.metadata?.referrer : 'refused';
    };
    expect(referrerOf('https://www.google.com/search?q=secret')).toBe('https://www.google.com/search');
    expect(referrerOf('https://shop.example/a?page=2')).toBeUndefined();
    expect(referrerOf('not a url')).toBeUndefined();
  });

  it('recognises engagement events, which are not stored', () => {
    expect(mapPlausibleEvent({ n: 'engagement', u: 'https://shop.example/', d: 'shop', sd: 40, e: 5000, v: 36 })).toEqual({ ok: true, kind: 'engagement', site: 'shop' });
  });

  it('takes the first site of a comma-separated d, in place, so the key guard and the mapping agree', () => {
    const body = { n: 'pageview', u: '/', d: ' shop , rollup.example' };
    expect(normalizePlausibleSite(body)).toBe('shop');
    expect(body.d).toBe('shop');
    expect(mapPlausibleEvent(body)).toMatchObject({ ok: true, site: 'shop' });
  });

  it('names every invalid field as the client sent it', () => {
    const errors = (body: unknown) => {
      const mapped = mapPlausibleEvent(body);
      return mapped.ok ? [] : mapped.errors.map((e) => e.path);
    };
    expect(errors('pageview')).toEqual(['body']);
    expect(errors({})).toEqual(['n', 'd', 'u']);
    expect(errors({ name: 'x'.repeat(101), domain: '', url: 'data:text/html,hi' })).toEqual(['name', 'd', 'url']);
    expect(errors({ n: 'pageview', d: 'shop', u: '/', r: 5, p: '[1]' })).toEqual(['r', 'p']);
    expect(errors({ n: 'pageview', d: 'shop', u: '/', m: { k: 'a\u0000' } })).toEqual(['m.k']);
    expect(errors({ n: 'pageview', d: 'shop', u: '/', p: { blob: 'x'.repeat(17 * 1024) } })).toEqual(['p']);
  });
});
