import { isUuid, uuidv5, uuidv7 } from './uuid';

describe('uuid', () => {
  it('makes RFC 9562 version 7 ids that carry the time and sort by it', () => {
    const a = uuidv7(Date.UTC(2025, 0, 1));
    const b = uuidv7(Date.UTC(2025, 0, 2));
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(a[19]);
    expect(parseInt(a.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2025, 0, 1));
    expect(a < b).toBe(true);
    expect(uuidv7()).not.toBe(uuidv7());
  });

  it('makes version 5 ids equal to the RFC 9562 reference value', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
    expect(uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});
