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
  /**
   * Of uniqueUsers, those whose first event (of the site, with siteId) ever is in the range:
   * none before `from` — all of them without `from`. The others are returning users.
   */
  newUsers: number;
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

/** What a retention matrix counts: cohorts of new users (first seen in the period) or of every user active in it. */
export type RetentionMode = 'new' | 'returning';
export const RETENTION_MODES: readonly RetentionMode[] = ['new', 'returning'];
export interface RetentionFilter {
  mode: RetentionMode;
  siteId?: string;
  /** One of USER_SET_ACTIONS ('' or absent: every action). */
  action?: string;
}

/** The read side of analytics: answers straight from storage, no domain model. */
export abstract class AnalyticsReadModel {
  /** Distinct identified users with an event in each period's [from, till), optionally of one site or of one action of USER_SET_ACTIONS. Periods start and end at UTC midnight. */
  abstract uniqueUsers(periods: Period[], filter?: { siteId?: string; action?: string }): Promise<number[]>;
  abstract overview(filter: OverviewFilter): Promise<Overview>;
  /**
   * Cohorts over consecutive periods (each one's till the next one's from): row k holds, for
   * the cohort of period k, how many of its users were active in periods k, k+1, … (so row k
   * has periods.length − k cells, and its first is the cohort's size). Mode new: the cohort is
   * the users of period k with no event (matching the site and action) before it, ever;
   * returning: every user active in period k.
   */
  abstract retention(periods: Period[], filter: RetentionFilter): Promise<number[][]>;
}
