import { Period } from './periods';

export interface OverviewFilter {
  from?: Date;
  till?: Date;
  siteId?: string;
  top: number;
}

export interface Overview {
  totalEvents: number;
  uniqueUsers: number;
  pageViews: number;
  eventsByAction: Record<string, number>;
  topPaths: Array<{ path: string; views: number }>;
}

/** The read side of analytics: answers straight from storage, no domain model. */
export abstract class AnalyticsReadModel {
  /** Distinct identified users with an event in each period's [from, till), optionally of one site or action. */
  abstract uniqueUsers(periods: Period[], filter?: { siteId?: string; action?: string }): Promise<number[]>;
  abstract overview(filter: OverviewFilter): Promise<Overview>;
}
