/**
 * One random salt per UTC day, shared by every process on the database. The salt of a day is
 * deleted once the day is over, so an anonymous visitor id can no longer be recomputed from an
 * address and a user agent, by us or by anyone who reads the database.
 */
export abstract class VisitorSalts {
  /** The salt of `day` (YYYY-MM-DD, UTC), created by the first process that asks; days before it are deleted. */
  abstract saltOf(day: string): Promise<Buffer>;
  /** Deletes the salts of the days before `day` (those days are over); how many were deleted. */
  abstract forgetBefore(day: string): Promise<number>;
}
