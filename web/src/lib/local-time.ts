/**
 * The value of an <input type="datetime-local"> (the reader's own clock, no zone) and the
 * instants the API and the URL carry (ISO-8601 in UTC, so a shared link means the same
 * moment everywhere).
 */
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An ISO instant → "YYYY-MM-DDTHH:mm" (":ss" when not zero) in the local zone; '' when absent or invalid. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const base = `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return date.getSeconds() || date.getMilliseconds() ? `${base}:${pad(date.getSeconds())}` : base;
}

/** "YYYY-MM-DDTHH:mm[:ss]" read in the local zone → an ISO instant; undefined when empty or not a time. */
export function fromLocalInput(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(year, month - 1, day, hour, minute, second);
  // new Date rolls 31 Feb over into March: a day that does not exist is not a time.
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return undefined;
  return date.toISOString();
}
