import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { FieldError, ValidationFailedError } from '../../../shared/errors';
import { validateDto } from '../../../shared/http/validate';
import { parseDate, parseInstant } from '../../../shared/time';
import { startOfLocalDay, timeZoneOf, timeZoneProblem, UTC } from '../../../shared/time-zone';
import { GetOverviewQuery } from '../../../analytics/application/get-overview';
import { RecordEventsCommand } from '../../../tracking/application/record-events';
import { EventDraft } from '../../../tracking/domain/tracked-event';
import { pick, SiteEventDto } from './compat.requests';

/**
 * Validates a compat body or query against its DTO, reading only the system's own fields;
 * throws the validation error, which the route's error shape words the system's way.
 */
export function check<T extends object>(dto: new () => T, input: unknown, fields: string[]): T {
  const result = validateDto(dto, pick(input, fields));
  if (!result.value) throw new ValidationFailedError(result.errors);
  return result.value;
}

/**
 * Writes one event through the same command as the native API. The domain's errors name the
 * native fields; `fieldNames` renames them to the system's own (`timestamp` → `login_time`).
 */
export async function record(commands: CommandBus, draft: EventDraft, fieldNames: Record<string, string> = {}): Promise<void> {
  const [outcome] = await commands.execute(new RecordEventsCommand([draft]));
  if (outcome.status === 'rejected') {
    throw new ValidationFailedError(outcome.errors.map((e: FieldError) => ({ ...e, path: fieldNames[e.path] ?? e.path })));
  }
}

export const userIdOf = (value: string | number | undefined): string | null =>
  value === undefined ? null : typeof value === 'number' ? String(value) : value;

/** The fields seeds 001 and 004 define for a site event; others are ignored, as those systems do. */
export const SITE_EVENT_FIELDS = ['site_id', 'event_type', 'path', 'user_id', 'timestamp'];

/** The draft of a site event (seeds 001 and 004), its id made from that system's natural key. */
export function siteEventDraft(
  value: SiteEventDto,
  idOf: (siteId: string, eventType: string, userId: string | null, path: string | null, timestamp: Date) => string,
): EventDraft {
  const userId = userIdOf(value.user_id);
  const timestamp = parseInstant(value.timestamp)!;
  const path = value.path ?? null;
  return {
    eventId: idOf(value.site_id, value.event_type, userId, path, timestamp),
    userId,
    action: value.event_type,
    timestamp,
    siteId: value.site_id,
    path,
  };
}

/**
 * The zone of a compat question with a date: `tz`, else the service's DEFAULT_TZ. The answer
 * names it (`named`, spread into the answer) unless it is UTC by default, so that a seed's
 * client sees exactly its documented shape.
 */
export function compatZone(defaultZone: string, tz: unknown): { zone: string; named: { tz?: string } } {
  if (tz === undefined) return { zone: defaultZone, named: defaultZone === UTC ? {} : { tz: defaultZone } };
  const problem = timeZoneProblem(tz);
  if (problem) throw new ValidationFailedError([{ path: 'tz', message: problem }]);
  const zone = timeZoneOf(tz)!;
  return { zone, named: { tz: zone } };
}

/** Per-site stats of seeds 001 and 004: page views, all users, top 3 paths, a (local) day or all time. */
export async function siteStats(queries: QueryBus, siteId: string, date: string | undefined, zone: string = UTC) {
  const day = date ? parseDate(date)! : undefined;
  const from = day ? startOfLocalDay(zone, day) : undefined;
  const till = day ? startOfLocalDay(zone, new Date(day.getTime() + 86_400_000)) : undefined;
  const overview = await queries.execute(new GetOverviewQuery({ siteId, from, till, top: 3 }));
  return {
    found: overview.totalEvents > 0,
    stats: {
      site_id: siteId,
      date: date ?? 'all-time',
      total_views: overview.pageViews,
      unique_users: overview.uniqueUsers,
      top_paths: overview.topPaths,
    },
  };
}
