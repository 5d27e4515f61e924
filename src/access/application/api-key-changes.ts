/**
 * What this process hears of key changes made anywhere — by another API process on the same
 * database or by the `keys` CLI — so that its authenticator drops what it cached at once rather
 * than when the cache entry expires (KEY_CACHE_MS, the fallback when a change is missed).
 */
export type ApiKeyChange =
  | { kind: 'revoked'; id: string }
  | { kind: 'created'; id: string }
  /** Changes may have been missed (the channel was down, or just opened): trust nothing cached. */
  | { kind: 'unknown' };

export abstract class ApiKeyChanges {
  /** Starts delivering changes to `listener` (once; later calls do nothing). Never throws. */
  abstract watch(listener: (change: ApiKeyChange) => void): void;
}

/** For compositions without a shared database channel (unit tests): the cache TTL alone bounds staleness. */
export class NoApiKeyChanges extends ApiKeyChanges {
  watch(): void {}
}
