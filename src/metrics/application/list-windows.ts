import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { assertTimeRange } from '../../shared/time-range';
import { decodeCursor, Page, toPage } from '../../shared/pagination';
import { ActivityMetricsRepository } from '../domain/activity-metrics.repository';
import { WindowLedgerEntry, WindowStatus, windowStatus } from '../domain/window-ledger';

export interface WindowView extends WindowLedgerEntry {
  status: WindowStatus;
}

const isWindowCursor = (value: unknown): value is { w: string } =>
  typeof value === 'object' && value !== null && typeof (value as { w: unknown }).w === 'string' &&
  !Number.isNaN(Date.parse((value as { w: string }).w));

export class ListWindowsQuery extends Query<Page<WindowView>> {
  constructor(
    readonly filter: { from?: Date; till?: Date; status?: WindowStatus },
    readonly limit: number,
    readonly cursor?: string,
    readonly now: Date = new Date(),
  ) {
    super();
  }
}

@QueryHandler(ListWindowsQuery)
export class ListWindowsHandler implements IQueryHandler<ListWindowsQuery, Page<WindowView>> {
  constructor(private readonly metrics: ActivityMetricsRepository) {}

  async execute({ filter, limit, cursor, now }: ListWindowsQuery): Promise<Page<WindowView>> {
    assertTimeRange(filter.from, filter.till);
    const after = cursor ? decodeCursor(cursor, isWindowCursor) : undefined;
    const rows = await this.metrics.listWindows({
      ...filter,
      now,
      limit: limit + 1,
      afterWindowStart: after ? new Date(after.w) : undefined,
    });
    return toPage(
      rows,
      limit,
      (row) => ({ w: row.window.start.toISOString() }),
      (row) => ({ ...row, status: windowStatus(row, now) }),
    );
  }
}
