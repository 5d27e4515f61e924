import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { assertTimeRange } from '../../shared/time-range';
import { decodeCursor, Page, toPage } from '../../shared/pagination';
import { ActivityMetricsRepository, StoredUserActivity } from '../domain/activity-metrics.repository';

interface MetricsCursor {
  w: string;
  u: string;
}

const isMetricsCursor = (value: unknown): value is MetricsCursor =>
  typeof value === 'object' && value !== null &&
  typeof (value as MetricsCursor).w === 'string' && !Number.isNaN(Date.parse((value as MetricsCursor).w)) &&
  typeof (value as MetricsCursor).u === 'string';

export class ListMetricsQuery extends Query<Page<StoredUserActivity>> {
  constructor(
    readonly filter: { userId?: string; from?: Date; till?: Date },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

@QueryHandler(ListMetricsQuery)
export class ListMetricsHandler implements IQueryHandler<ListMetricsQuery, Page<StoredUserActivity>> {
  constructor(private readonly metrics: ActivityMetricsRepository) {}

  async execute({ filter, limit, cursor }: ListMetricsQuery): Promise<Page<StoredUserActivity>> {
    assertTimeRange(filter.from, filter.till);
    const after = cursor ? decodeCursor(cursor, isMetricsCursor) : undefined;
    const rows = await this.metrics.listMetrics({
      ...filter,
      limit: limit + 1,
      after: after ? { windowStart: new Date(after.w), userId: after.u } : undefined,
    });
    return toPage(rows, limit, (row) => ({ w: row.window.start.toISOString(), u: row.userId }), (row) => row);
  }
}
