import { ActivityWindow } from './activity-window';
import { needsComputation, windowStatus } from './window-ledger';

const window = ActivityWindow.containing(new Date('2025-10-23T12:00:00Z'));
const during = new Date('2025-10-23T13:00:00Z');
const after = new Date('2025-10-23T16:00:00Z');

describe('window ledger rules', () => {
  it('derives open, pending, computed and stale', () => {
    expect(windowStatus({ window, version: 3, computedVersion: null }, during)).toBe('open');
    expect(windowStatus({ window, version: 3, computedVersion: null }, after)).toBe('pending');
    expect(windowStatus({ window, version: 3, computedVersion: 3 }, after)).toBe('computed');
    expect(windowStatus({ window, version: 4, computedVersion: 3 }, after)).toBe('stale');
  });

  it('computes what is missing or stale, skips what is up to date', () => {
    const plain = { force: false, seenComputations: 1 };
    expect(needsComputation(null, plain)).toBe(true);
    expect(needsComputation({ version: 2, computedVersion: null, computations: 0 }, plain)).toBe(true);
    expect(needsComputation({ version: 2, computedVersion: 1, computations: 1 }, plain)).toBe(true);
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 1 }, plain)).toBe(false);
  });

  it('lets a backfill recompute an up-to-date window, unless another run computed it meanwhile', () => {
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 1 }, { force: true, seenComputations: 1 })).toBe(true);
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 2 }, { force: true, seenComputations: 1 })).toBe(false);
    expect(needsComputation({ version: 2, computedVersion: 1, computations: 2 }, { force: true, seenComputations: 1 })).toBe(true);
  });

  it('lets a backfill skip a window computed after it was asked for, unless it changed since', () => {
    const requestedAt = new Date('2025-10-24T00:00:00Z');
    const backfill = { force: true, seenComputations: 2, requestedAt };
    const computedAfter = new Date(requestedAt.getTime() + 5);
    const computedBefore = new Date(requestedAt.getTime() - 5);
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 2, computedAt: computedAfter }, backfill)).toBe(false);
    // The same millisecond: which came first is unknown, so the backfill recomputes.
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 2, computedAt: requestedAt }, backfill)).toBe(true);
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 2, computedAt: computedBefore }, backfill)).toBe(true);
    expect(needsComputation({ version: 3, computedVersion: 2, computations: 2, computedAt: computedAfter }, backfill)).toBe(true);
    // A plain run is not concerned: it computes what is missing or stale.
    expect(needsComputation({ version: 2, computedVersion: 2, computations: 2, computedAt: computedBefore }, { ...backfill, force: false })).toBe(false);
  });
});
