import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { assertTimeRange } from '../../shared/time-range';
import { ActivityMetricsRepository, StoredUserActivity } from '../domain/activity-metrics.repository';

/** Every metric row of the windows overlapping [from, till) (of one user), in (window_start, user_id) order, read lazily. */
export class ExportMetricsQuery extends Query<AsyncIterable<StoredUserActivity>> {
  constructor(readonly filter: { userId?: string; from?: Date; till?: Date }) {
    super();
  }
}

@QueryHandler(ExportMetricsQuery)
export class ExportMetricsHandler implements IQueryHandler<ExportMetricsQuery, AsyncIterable<StoredUserActivity>> {
  constructor(private readonly metrics: ActivityMetricsRepository) {}

  async execute({ filter }: ExportMetricsQuery): Promise<AsyncIterable<StoredUserActivity>> {
    assertTimeRange(filter.from, filter.till);
    return this.metrics.exportMetrics(filter);
  }
}
