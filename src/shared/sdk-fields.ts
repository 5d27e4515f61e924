import { parseInstant } from './time';

/**
 * Field checks the SDK-compatible mappings share (Segment, PostHog): each reports a bad field
 * through `fail` (collected into one 400 naming every field) and returns undefined for it.
 */
export type Fail = (field: string, text: string) => void;

/** Present: neither undefined nor null. */
export const present = (value: unknown): boolean => value !== undefined && value !== null;

/** Printable ASCII, as ids and site ids of the SDKs are stored. */
export const PRINTABLE = /^[\x20-\x7e]*$/;

/** A user id as the SDKs send it: 1–128 printable ASCII characters, or a safe integer (stored as its decimal string); undefined when absent or empty. */
export function sdkUserId(value: unknown, field: string, fail: Fail): string | undefined {
  if (!present(value) || value === '') return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string' || value.length > 128 || !PRINTABLE.test(value)) {
    fail(field, 'must be a string of 1 to 128 printable ASCII characters');
    return undefined;
  }
  return value;
}

/** An ISO 8601 date-time with a zone; undefined when absent. */
export function isoInstant(value: unknown, field: string, fail: Fail): Date | undefined {
  if (!present(value)) return undefined;
  const instant = typeof value === 'string' ? parseInstant(value) : null;
  if (!instant) {
    fail(field, 'must be an ISO 8601 date-time with a time zone (2025-10-23T13:07:00.000Z)');
    return undefined;
  }
  return instant;
}
