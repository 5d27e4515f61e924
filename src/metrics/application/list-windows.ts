import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ValidationFailedError } from '../../shared/errors';
import { assertTimeRange } from '../../shared/time-range';
import { decodeCursor, Page, toPage } from '../../shared/pagination';
import { ActivityMetricsRepository } from '../domain/activity-metrics.repository';
import { WindowLedgerEntry, WindowStatus, windowStatus } from '../domain/window-ledger';

export interface WindowView extends WindowLedgerEntry {
  status: WindowStatus;
}

export type WindowOrder = 'asc' | 'desc';

/** The last window_start served and the order it was served in (absent in cursors issued before the order existed: asc). */
type WindowCursor = { w: string; o?: WindowOrder };

const isWindowCursor = (value: unknown): value is WindowCursor =>
  typeof value === 'object' && value !== null && typeof (value as { w: unknown }).w === 'string' &&
  !Number.isNaN(Date.parse((value as { w: string }).w)) &&
  [undefined, 'asc', 'desc'].includes((value as { o?: unknown }).o as string | undefined);

export class ListWindowsQuery extends Query<Page<WindowView>> {
  constructor(
    readonly filter: { from?: Date; till?: Date; status?: WindowStatus },
    readonly limit: number,
    readonly cursor?: string,
    readonly now: Date = new Date(),
    readonly order: WindowOrder = 'asc',
  ) {
    super();
  }
}

@QueryHandler(ListWindowsQuery)
export class ListWindowsHandler implements IQueryHandler<ListWindowsQuery, Page<WindowView>> {
  constructor(private readonly metrics: ActivityMetricsRepository) {}

  async execute({ filter, limit, cursor, now, order }: ListWindowsQuery): Promise<Page<WindowView>> {
    assertTimeRange(filter.from, filter.till);
    const after = cursor ? decodeCursor(cursor, isWindowCursor) : undefined;
    if (after && (after.o ?? 'asc') !== order) {
      throw new ValidationFailedError([
        { path: 'cursor', message: `was issued for order=${after.o ?? 'asc'}; repeat the query with that order` },
      ]);
    }
    const rows = await this.metrics.listWindows({
      ...filter,
      now,
      order,
      limit: limit + 1,
      afterWindowStart: after ? new Date(after.w) : undefined,
    });
    return toPage(
      rows,
      limit,
      (row) => ({ w: row.window.start.toISOString(), o: order }),
      (row) => ({ ...row, status: windowStatus(row, now) }),
    );
  }
}
