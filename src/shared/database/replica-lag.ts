/** A WAL position ("16/B374D848") as a number of bytes. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(lsn.trim());
  if (!match) throw new Error(`not a WAL position: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/**
 * Replication lag in time, from the primary's WAL position sampled at every check.
 *
 * A replica's `pg_last_xact_replay_timestamp()` cannot be used alone: on an idle primary the
 * last replayed transaction is old although nothing is behind. Instead, the lag is the age of
 * the oldest primary position the replica has not yet replayed: if the primary was at L when
 * sampled at time t and the replica has replayed less than L, it is at least now − t behind;
 * if it has replayed everything sampled, it is 0 behind. The figure is exact to within one
 * check interval and never counts an idle primary as lag.
 */
export class LagClock {
  /** Primary positions with when they were sampled, ascending; pruned once every replica passed them. */
  private samples: Array<{ lsn: bigint; at: number }> = [];

  constructor(private readonly maxSamples = 10_000) {}

  /** Records the primary's current WAL position. */
  sample(lsn: bigint, at: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && lsn <= last.lsn) return; // the primary has not moved: the older sample stays the reference
    this.samples.push({ lsn, at });
    if (this.samples.length > this.maxSamples) this.samples.shift();
  }

  /** The latest primary position known, if any. */
  get latest(): bigint | undefined {
    return this.samples[this.samples.length - 1]?.lsn;
  }

  /** Milliseconds a replica that has replayed up to `replayed` is behind, at `now`. */
  lagMs(replayed: bigint, now: number): number {
    const behind = this.samples.find((s) => s.lsn > replayed);
    return behind ? Math.max(0, now - behind.at) : 0;
  }

  /** Bytes of WAL the replica has still to replay, against the latest sample. */
  lagBytes(replayed: bigint): number {
    const latest = this.latest;
    return latest === undefined || latest <= replayed ? 0 : Number(latest - replayed);
  }

  /** Forgets the samples every replica has replayed (all but the newest, which stays the reference). */
  prune(minReplayed: bigint): void {
    while (this.samples.length > 1 && this.samples[0].lsn <= minReplayed) this.samples.shift();
  }
}
