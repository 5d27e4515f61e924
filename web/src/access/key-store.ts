/**
 * The API key the dashboard sends, kept in sessionStorage: it lives as long as the tab and
 * is never written to disk or sent anywhere but this service (`Authorization: Bearer`).
 */
const STORAGE_KEY = 'tracking-service.api-key';

type Listener = () => void;
const listeners = new Set<Listener>();

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the key lives in memory only
  }
}

let memoryKey: string | null = null;

export function currentKey(): string | null {
  return storedKey() ?? memoryKey;
}

export function rememberKey(key: string): void {
  memoryKey = key;
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    /* in memory only */
  }
  listeners.forEach((listener) => listener());
}

export function forgetKey(): void {
  memoryKey = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* nothing stored */
  }
  listeners.forEach((listener) => listener());
}

export function onKeyChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
