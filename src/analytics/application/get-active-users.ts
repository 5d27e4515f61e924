import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { AnalyticsReadModel } from './analytics.read-model';
import { UTC } from '../../shared/time-zone';
import { Interval, periodsOf } from './periods';

export interface ActiveUsers {
  interval: Interval;
  /** The IANA zone whose local calendar the periods follow. */
  zone: string;
  rolling: number | null;
  data: Array<{ periodStart: string; uniqueUsers: number }>;
}

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
  ) {
    super();
  }
}

@QueryHandler(GetActiveUsersQuery)
export class GetActiveUsersHandler implements IQueryHandler<GetActiveUsersQuery, ActiveUsers> {
  constructor(private readonly analytics: AnalyticsReadModel) {}

  async execute({ interval, from, to, siteId, rolling, action, zone }: GetActiveUsersQuery): Promise<ActiveUsers> {
    const periods = periodsOf(interval, from, to, rolling, zone);
    const counts = await this.analytics.uniqueUsers(periods, { siteId, action });
    return {
      interval,
      zone,
      rolling: rolling ?? null,
      data: periods.map((p, i) => ({ periodStart: p.label, uniqueUsers: counts[i] })),
    };
  }
}
