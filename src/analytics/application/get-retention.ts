import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { AnalyticsReadModel, RetentionMode } from './analytics.read-model';
import { UTC } from '../../shared/time-zone';
import { Interval, cohortPeriodsOf } from './periods';

export interface Retention {
  interval: Interval;
  mode: RetentionMode;
  /** The IANA zone whose local calendar the periods follow. */
  zone: string;
  cohorts: Array<{ periodStart: string; users: number; active: number[]; fraction: Array<number | null> }>;
}

export class GetRetentionQuery extends Query<Retention> {
  constructor(
    readonly interval: Interval,
    /** Local dates: the cohorts are the periods starting in [from, till). */
    readonly from: Date,
    readonly till: Date,
    readonly mode: RetentionMode,
    readonly siteId?: string,
    /** One of USER_SET_ACTIONS besides every action ('login'). */
    readonly action?: string,
    /** An IANA zone already validated (timeZoneOf). */
    readonly zone: string = UTC,
  ) {
    super();
  }
}

@QueryHandler(GetRetentionQuery)
export class GetRetentionHandler implements IQueryHandler<GetRetentionQuery, Retention> {
  constructor(private readonly analytics: AnalyticsReadModel) {}

  async execute({ interval, from, till, mode, siteId, action, zone }: GetRetentionQuery): Promise<Retention> {
    const periods = cohortPeriodsOf(interval, from, till, zone);
    const matrix = await this.analytics.retention(periods, { mode, siteId, action });
    return {
      interval,
      mode,
      zone,
      cohorts: periods.map((p, k) => {
        const active = matrix[k];
        const users = active[0];
        return { periodStart: p.label, users, active, fraction: active.map((n) => (users === 0 ? null : n / users)) };
      }),
    };
  }
}
