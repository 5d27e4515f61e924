import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AnalyticsReadModel, Overview, OverviewFilter } from '../../application/analytics.read-model';
import { Period } from '../../application/periods';

/**
 * Answers from the events table. Exact, but it scans the events of the range: issue 4's
 * rollups (maintained as events are written) are what will keep these reads fast at scale.
 */
@Injectable()
export class TypeOrmAnalyticsReadModel extends AnalyticsReadModel {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  async uniqueUsers(periods: Period[], filter: { siteId?: string; action?: string } = {}): Promise<number[]> {
    const rows: Array<{ i: string; n: number }> = await this.db.query(
      `SELECT p.i, count(DISTINCT e.user_id)::int AS n
       FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS p(lo, hi, i)
       LEFT JOIN events e ON e.occurred_at >= p.lo AND e.occurred_at < p.hi AND e.user_id IS NOT NULL
                         AND ($3::text IS NULL OR e.site_id = $3) AND ($4::text IS NULL OR e.action = $4)
       GROUP BY p.i ORDER BY p.i`,
      [periods.map((p) => p.from.toISOString()), periods.map((p) => p.till.toISOString()), filter.siteId ?? null, filter.action ?? null],
    );
    return rows.map((row) => row.n);
  }

  async overview({ from, till, siteId, top }: OverviewFilter): Promise<Overview> {
    const params = [from ?? null, till ?? null, siteId ?? null];
    const where = `($1::timestamptz IS NULL OR occurred_at >= $1) AND ($2::timestamptz IS NULL OR occurred_at < $2)
                   AND ($3::text IS NULL OR site_id = $3)`;
    const [totals] = await this.db.query(
      `SELECT count(*)::int AS total, count(DISTINCT user_id)::int AS users,
              count(*) FILTER (WHERE action = 'page_view')::int AS views
       FROM events WHERE ${where}`,
      params,
    );
    const actions: Array<{ action: string; n: number }> = await this.db.query(
      `SELECT action, count(*)::int AS n FROM events WHERE ${where} GROUP BY action ORDER BY action`,
      params,
    );
    const paths: Array<{ path: string; views: number }> = await this.db.query(
      `SELECT path, count(*)::int AS views FROM events
       WHERE ${where} AND action = 'page_view' AND path IS NOT NULL
       GROUP BY path ORDER BY views DESC, path COLLATE "C" LIMIT $4`,
      [...params, top],
    );
    return {
      totalEvents: totals.total,
      uniqueUsers: totals.users,
      pageViews: totals.views,
      eventsByAction: Object.fromEntries(actions.map((a) => [a.action, a.n])),
      topPaths: paths,
    };
  }
}
