/**
 * First keys of the two-part advisory locks (pg_advisory_xact_lock(namespace, key)) that more
 * than one module takes, so they agree on them.
 */

/** Per 4-hour window (the second key is ActivityWindow.index): held while a window's metrics change. */
export const WINDOW_LOCK_NAMESPACE = 0x74726b; // "trk"
