import { LruCache } from './lru-cache';

describe('LruCache', () => {
  it('evicts the least recently used entry, not the recently read one', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('d', 4);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
    expect(cache.size).toBe(3);
  });

  it('keeps an entry that is used between floods of new keys, and never grows past its capacity', () => {
    const cache = new LruCache<string, string>(100);
    cache.set('valid', 'key');
    for (let i = 0; i < 10_000; i++) {
      cache.set(`random-${i}`, 'unknown');
      if (i % 50 === 0) expect(cache.get('valid')).toBe('key');
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get('valid')).toBe('key');
    expect(cache.get('random-0')).toBeUndefined();
    expect(cache.get('random-9999')).toBe('unknown');
  });

  it('replaces a value without growing, and refuses a capacity below 1', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe(2);
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
