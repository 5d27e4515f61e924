import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { dateProblem, instantProblem } from '../time';
import { timeZoneProblem } from '../time-zone';

function define(
  name: string,
  message: string | ((args: ValidationArguments) => string),
  test: (value: unknown) => boolean,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate: (value: unknown) => test(value) },
    });
}

/** An ISO-8601 date-time string with a zone that names a real instant in the accepted range. */
export const IsIsoInstant = (options?: ValidationOptions) =>
  define('isIsoInstant', (args) => instantProblem(args.value) ?? '', (v) => instantProblem(v) === null, options);

/** A calendar date `YYYY-MM-DD` that exists, in the accepted range. */
export const IsCalendarDate = (options?: ValidationOptions) =>
  define('isCalendarDate', (args) => dateProblem(args.value) ?? '', (v) => dateProblem(v) === null, options);

/** An ISO-8601 date-time with a zone, or a calendar date `YYYY-MM-DD` (a local midnight, read in the request's time zone). */
export const IsInstantOrDate = (options?: ValidationOptions) =>
  define(
    'isInstantOrDate',
    (args) =>
      typeof args.value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(args.value)
        ? (dateProblem(args.value) ?? '')
        : `${instantProblem(args.value) ?? ''}, or a date YYYY-MM-DD`,
    (v) => instantProblem(v) === null || dateProblem(v) === null,
    options,
  );

/** An IANA time zone name (as the runtime's Intl knows them). */
export const IsTimeZone = (options?: ValidationOptions) =>
  define('isTimeZone', (args) => timeZoneProblem(args.value) ?? '', (v) => timeZoneProblem(v) === null, options);

/** A user id: a string of 1–128 characters, or a safe integer (stored as its decimal string). */
export const IsUserId = (options?: ValidationOptions) =>
  define(
    'isUserId',
    'must be a string of 1 to 128 characters or an integer',
    (v) => (typeof v === 'string' && v.length >= 1 && v.length <= 128) || (typeof v === 'number' && Number.isSafeInteger(v)),
    options,
  );

/** A JSON object (not an array, not a scalar) of at most `maxBytes` bytes serialized. */
export const IsJsonObject = (maxBytes: number, options?: ValidationOptions) =>
  define(
    'isJsonObject',
    `must be a JSON object of at most ${maxBytes / 1024} KiB serialized`,
    (v) =>
      typeof v === 'object' && v !== null && !Array.isArray(v) &&
      Buffer.byteLength(JSON.stringify(v), 'utf8') <= maxBytes,
    options,
  );

/** A query-string integer: the decimal digits of an integer from `min` to `max`. */
export const IsIntegerString = (min: number, max: number, options?: ValidationOptions) =>
  define(
    'isIntegerString',
    `must be an integer from ${min} to ${max}`,
    (v) => typeof v === 'string' && /^\d{1,7}$/.test(v) && Number(v) >= min && Number(v) <= max,
    options,
  );

/** A query-string page size: an integer from 1 to `max`. */
export const IsPageSize = (max: number, options?: ValidationOptions) => IsIntegerString(1, max, options);
