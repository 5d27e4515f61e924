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
  /** Per site (null = events without a site), busiest first (then by site id), at most MAX_SITES. */
  sites: SiteSplit[];
}

export interface SiteSplit {
  siteId: string | null;
  events: number;
  /** Distinct users of the site in the range, exact (a user active on two sites counts on each). */
  uniqueUsers: number;
  pageViews: number;
}

/** The overview's per-site split lists at most this many sites. */
export const MAX_SITES = 1000;

/**
 * The actions whose unique users are kept per day besides all actions (''): counting them
 * needs a set per action, so only the ones a route reports are kept (logins, for the
 * uniques routes of seed 000). Adding one needs a migration that backfills its sets.
 */
export const USER_SET_ACTIONS: readonly string[] = ['', 'login'];

/** The read side of analytics: answers straight from storage, no domain model. */
export abstract class AnalyticsReadModel {
  /** Distinct identified users with an event in each period's [from, till), optionally of one site or of one action of USER_SET_ACTIONS. Periods start and end at UTC midnight. */
  abstract uniqueUsers(periods: Period[], filter?: { siteId?: string; action?: string }): Promise<number[]>;
  abstract overview(filter: OverviewFilter): Promise<Overview>;
}
