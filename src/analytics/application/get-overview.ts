import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { assertTimeRange } from '../../shared/time-range';
import { AnalyticsReadModel, Overview, OverviewFilter } from './analytics.read-model';

export class GetOverviewQuery extends Query<Overview> {
  constructor(readonly filter: OverviewFilter) {
    super();
  }
}

@QueryHandler(GetOverviewQuery)
export class GetOverviewHandler implements IQueryHandler<GetOverviewQuery, Overview> {
  constructor(private readonly analytics: AnalyticsReadModel) {}

  execute({ filter }: GetOverviewQuery): Promise<Overview> {
    assertTimeRange(filter.from, filter.till);
    return this.analytics.overview(filter);
  }
}
