import { eventsQuery, filterKey, pageSize } from './list-filters';

describe('list filters from the URL', () => {
  it('passes the known, non-empty filters, trimmed', () => {
    expect(eventsQuery({ user_id: ' 321 ', action: 'login', site_id: '', from: '2026-11-30T00:00:00.000Z', other: 'x' })).toEqual({
      user_id: '321',
      action: 'login',
      from: '2026-11-30T00:00:00.000Z',
    });
  });

  it('asks for ascending order only when the URL says asc (descending is the API default)', () => {
    expect(eventsQuery({ order: 'asc' }).order).toBe('asc');
    expect(eventsQuery({ order: 'desc' }).order).toBeUndefined();
    expect(eventsQuery({ order: 'sideways' }).order).toBeUndefined();
  });

  it('reads a whole-number page size, and leaves out anything else', () => {
    expect(pageSize('25')).toBe(25);
    expect(pageSize('5000')).toBe(5000); // the API says why that is too many
    expect(pageSize('2.5')).toBeUndefined();
    expect(pageSize('-1')).toBeUndefined();
    expect(pageSize(undefined)).toBeUndefined();
  });

  it('names a filter independently of the order its parameters were written in', () => {
    expect(filterKey({ a: '1', b: '2' })).toBe(filterKey({ b: '2', a: '1' }));
    expect(filterKey({ a: '1' })).not.toBe(filterKey({ a: '2' }));
  });
});
