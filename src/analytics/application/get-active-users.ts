import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { AnalyticsReadModel } from './analytics.read-model';
import { UTC } from '../../shared/time-zone';
import { Interval, periodsOf } from './periods';
import { ValidationFailedError } from '../../shared/errors';

export interface ActiveUsers {
  interval: Interval;
  /** The IANA zone whose local calendar the periods follow. */
  zone: string;
  rolling: number | null;
  ratio: StickinessRatio | null;
  /** With a ratio: windowUsers, the distinct users of the window ending that day, and ratio = uniqueUsers / windowUsers (null when 0). */
  data: Array<{ periodStart: string; uniqueUsers: number; windowUsers?: number; ratio?: number | null }>;
}

/** Stickiness: each day's users over the users of the 30 (MAU) or 7 (WAU) local days ending that day. */
export type StickinessRatio = 'dau_mau' | 'dau_wau';
export const STICKINESS_RATIOS: readonly StickinessRatio[] = ['dau_mau', 'dau_wau'];
const WINDOW_DAYS: Record<StickinessRatio, number> = { dau_mau: 30, dau_wau: 7 };

export class GetActiveUsersQuery extends Query<ActiveUsers> {
  constructor(
    readonly interval: Interval,
    readonly from: Date,
    readonly to: Date,
    readonly siteId?: string,
    readonly rolling?: number,
    /** Count only users with events of this action (the compat routes count logins). */
    readonly action?: string,
    /** An IANA zone already validated (timeZoneOf): the periods are its local days, weeks and months. */
    readonly zone: string = UTC,
    readonly ratio?: StickinessRatio,
  ) {
    super();
  }
}

@QueryHandler(GetActiveUsersQuery)
export class GetActiveUsersHandler implements IQueryHandler<GetActiveUsersQuery, ActiveUsers> {
  constructor(private readonly analytics: AnalyticsReadModel) {}

  async execute({ interval, from, to, siteId, rolling, action, zone, ratio }: GetActiveUsersQuery): Promise<ActiveUsers> {
    if (ratio !== undefined && (interval !== 'day' || rolling !== undefined)) {
      throw new ValidationFailedError([{ path: 'ratio', message: 'is only allowed with interval=day and without rolling' }]);
    }
    const periods = periodsOf(interval, from, to, rolling, zone);
    // With a ratio, the days and their rolling windows (the rolling=N periods) in one read.
    const windows = ratio === undefined ? [] : periodsOf('day', from, to, WINDOW_DAYS[ratio], zone);
    const counts = await this.analytics.uniqueUsers([...periods, ...windows], { siteId, action });
    return {
      interval,
      zone,
      rolling: rolling ?? null,
      ratio: ratio ?? null,
      data: periods.map((p, i) => {
        if (ratio === undefined) return { periodStart: p.label, uniqueUsers: counts[i] };
        const windowUsers = counts[periods.length + i];
        return { periodStart: p.label, uniqueUsers: counts[i], windowUsers, ratio: windowUsers === 0 ? null : counts[i] / windowUsers };
      }),
    };
  }
}
