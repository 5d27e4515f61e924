import type { operations } from '../api/schema';

/**
 * The page URLs' filters, read into the API's query. Only known, non-empty parameters pass;
 * what the API validates itself (a bad time, a page size out of range) is passed on as given
 * so the page shows the API's own words about it.
 */
export type EventsQuery = Omit<NonNullable<operations['EventsController_list']['parameters']['query']>, 'cursor'>;

const text = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);

/** A page size from the URL: a whole number, else the API's default. */
export function pageSize(value: string | undefined): number | undefined {
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

export function eventsQuery(query: Record<string, string | undefined>): EventsQuery {
  const result: EventsQuery = {
    user_id: text(query.user_id),
    action: text(query.action),
    site_id: text(query.site_id),
    from: text(query.from),
    till: text(query.till),
    order: query.order === 'asc' ? 'asc' : undefined,
    limit: pageSize(query.limit),
  };
  return Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined)) as EventsQuery;
}

/** A stable name of a filter: the list starts again whenever it changes. */
export function filterKey(query: object): string {
  return JSON.stringify(Object.entries(query).sort(([a], [b]) => a.localeCompare(b)));
}
