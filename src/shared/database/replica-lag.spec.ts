import { LagClock, parseLsn } from './replica-lag';

describe('parseLsn', () => {
  it('reads a WAL position as bytes and refuses anything else', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(() => parseLsn('nonsense')).toThrow(/not a WAL position/);
  });
});

describe('LagClock', () => {
  it('counts no lag for a replica that has replayed what the primary had, however long the primary was idle', () => {
    const clock = new LagClock();
    clock.sample(100n, 0);
    // An hour of an idle primary: the position does not move, the replica has it all.
    for (let at = 1000; at <= 3_600_000; at += 1000) clock.sample(100n, at);
    expect(clock.lagMs(100n, 3_600_000)).toBe(0);
    expect(clock.lagBytes(100n)).toBe(0);
  });

  it('counts a write the replica has not replayed from when the primary was first seen past it', () => {
    const clock = new LagClock();
    clock.sample(100n, 0);
    clock.sample(200n, 1000); // a write after a long idle time
    expect(clock.lagMs(100n, 1010)).toBe(10); // 10 ms behind, not the idle hour before
    clock.sample(300n, 2000);
    expect(clock.lagMs(100n, 2500)).toBe(1500); // still stuck before the first write
    expect(clock.lagMs(250n, 2500)).toBe(500); // has the first write, not the second
    expect(clock.lagMs(300n, 2500)).toBe(0);
    expect(clock.lagBytes(100n)).toBe(200);
  });

  it('forgets positions every replica has replayed, keeping the latest as the reference', () => {
    const clock = new LagClock();
    clock.sample(100n, 0);
    clock.sample(200n, 1000);
    clock.sample(300n, 2000);
    clock.prune(250n);
    expect(clock.lagMs(250n, 2100)).toBe(100);
    clock.prune(300n);
    expect(clock.latest).toBe(300n);
    expect(clock.lagMs(250n, 2100)).toBe(100);
  });

  it('keeps at most maxSamples positions', () => {
    const clock = new LagClock(3);
    for (let i = 1; i <= 5; i++) clock.sample(BigInt(i * 100), i * 1000);
    // The oldest two are gone: a replica stuck at 0 is measured from the oldest kept (300 at 3000).
    expect(clock.lagMs(0n, 6000)).toBe(3000);
  });
});
