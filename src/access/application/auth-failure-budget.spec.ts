import { AUTH_FAILURE_WINDOW_MS, AuthFailureBudget } from './auth-failure-budget';

describe('AuthFailureBudget', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it('refuses an address once it used its failures for the minute, until the minute is over', () => {
    const budget = new AuthFailureBudget(3);
    for (let i = 0; i < 3; i++) {
      expect(budget.retryAfter('a', t0 + i)).toBe(0);
      budget.recordFailure('a', t0 + i);
    }
    expect(budget.retryAfter('a', t0 + 10)).toBe(60);
    expect(budget.retryAfter('a', t0 + 59_500)).toBe(1);
    expect(budget.retryAfter('b', t0 + 10)).toBe(0);
    expect(budget.retryAfter('a', t0 + AUTH_FAILURE_WINDOW_MS)).toBe(0);
    budget.recordFailure('a', t0 + AUTH_FAILURE_WINDOW_MS);
    expect(budget.retryAfter('a', t0 + AUTH_FAILURE_WINDOW_MS + 1)).toBe(0); // a fresh minute, one failure
  });

  it('is off with a limit of 0', () => {
    const budget = new AuthFailureBudget(0);
    for (let i = 0; i < 1000; i++) budget.recordFailure('a', t0);
    expect(budget.retryAfter('a', t0)).toBe(0);
  });
});
